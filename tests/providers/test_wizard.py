"""The onboarding wizard through its pages: each step saves, bad input names the field and
saves nothing, and the steps follow the services chosen."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.providers.tables import ProviderMedia, ProviderProfile, ProviderSkill
from core.verification.tables import Certificate, IdentityCheck, IdentityRecord, PoliceFiling
from tests.providers.conftest import ID_NUMBER, Browser, jpeg, within

pytestmark = pytest.mark.db
PHONE = "13912345678"


async def profile_row(tenant_id: str) -> dict:
    found = await within(tenant_id, ProviderProfile.select())
    assert len(found) == 1
    return found[0]


def fill_profile(browser: Browser, **changes: str) -> object:
    data = {
        "name": "王秀兰",
        "gender": "female",
        "birth_year": "1979",
        "years_experience": "9",
        "languages": ["zh", "wuu"],
        "bio": "做事细致，擅长厨房深度清洁。",
        "area_mode": "radius",
        "area_address": "浦东新区世纪大道100号",
        "area_radius_km": "6",
        "area_districts": "",
        **changes,
    }
    return browser.post(
        "/provider/join/profile", "/provider/join/profile", data, follow_redirects=False
    )


async def test_joining_needs_a_signed_in_phone(phone: Browser) -> None:
    answer = phone.get("/provider/join", follow_redirects=False)

    assert answer.status_code in {302, 303}
    assert answer.headers["location"].startswith("/signin?next=%2Fprovider%2Fjoin")


async def test_a_customer_posting_a_step_is_sent_to_join_first_and_nothing_is_saved(
    phone: Browser, inbox, rows
) -> None:
    phone.sign_in(PHONE, inbox)  # a customer: never opened /provider/join

    for action, data in (
        ("/provider/join/profile", {"name": "王秀兰"}),
        ("/provider/join/skills", {"skill": "housekeeping.deep_cleaning"}),
        ("/provider/join/hours", {"on_mon": "1"}),
        ("/provider/join/identity", {"id_number": ID_NUMBER}),
        ("/provider/join/submit", {}),
    ):
        answer = phone.post("/account", action, data, follow_redirects=False)
        assert answer.status_code == 303, (action, answer.status_code)
        assert answer.headers["location"] == "/provider/join"

    assert await within(rows.jiejia, ProviderProfile.count()) == 0
    assert await within(rows.jiejia, IdentityRecord.count()) == 0


async def test_staff_posting_a_step_are_told_they_cannot_become_providers(
    phone: Browser, rows
) -> None:
    from tests.providers.test_admin_review import sign_in_admin

    await sign_in_admin(phone, rows.jiejia)

    answer = phone.post("/admin/providers", "/provider/join/profile", {"name": "周主管"})

    assert answer.status_code == 403
    assert "此账户不能成为服务者" in answer.text
    assert await within(rows.jiejia, ProviderProfile.count()) == 0


async def test_a_new_provider_starts_on_the_profile_step_with_the_phone_verified(
    phone: Browser, inbox, rows
) -> None:
    phone.sign_in(PHONE, inbox)

    answer = phone.get("/provider/join", follow_redirects=False)

    assert answer.headers["location"] == "/provider/join/profile"
    page = phone.get("/provider/join/profile")
    assert page.status_code == 200
    assert "第 1 步，共" in page.text  # the progress across steps
    profile = await profile_row(rows.jiejia)
    assert profile["status"] == "onboarding"
    phone_check = await within(
        rows.jiejia, IdentityCheck.select().where(IdentityCheck.kind == "phone")
    )
    assert [c["status"] for c in phone_check] == ["passed"]


async def test_the_profile_step_saves_and_goes_on_to_the_services(
    phone: Browser, inbox, rows
) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")

    answer = fill_profile(phone)

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/provider/join/skills"
    profile = await profile_row(rows.jiejia)
    assert profile["name_enc"] and "王秀兰" not in profile["name_enc"]
    assert (profile["birth_year"], profile["languages"]) == (1979, "zh,wuu")
    assert profile["area_lat"] == pytest.approx(31.2347)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"birth_year": "2015"}, "birth_year", "18 至 75 岁"),
        ({"birth_year": "nineteen"}, "birth_year", "整数"),
        ({"name": "王"}, "name", "真实姓名"),
        ({"gender": ""}, "gender", "性别"),
        ({"languages": []}, "languages", "语言"),
        ({"area_address": "火星基地1号"}, "area_address", "地图"),
        ({"area_radius_km": "500"}, "area_radius_km", "0.5"),
    ],
)
async def test_a_bad_profile_names_the_field_and_saves_nothing(
    phone: Browser, inbox, rows, change: dict, field: str, words: str
) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")

    answer = fill_profile(phone, **change)

    assert answer.status_code == 400
    assert f'id="err-{field}"' in answer.text
    assert words in answer.text
    assert "未保存任何内容" in answer.text
    assert (await profile_row(rows.jiejia))["name_enc"] is None


async def test_choosing_no_service_is_refused(phone: Browser, inbox, rows) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")
    fill_profile(phone)

    answer = phone.post("/provider/join/skills", "/provider/join/skills", {})

    assert answer.status_code == 400
    assert 'id="err-skills"' in answer.text
    assert await within(rows.jiejia, ProviderSkill.count()) == 0


async def test_hours_with_the_end_before_the_start_name_the_day(
    phone: Browser, inbox, rows
) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")
    fill_profile(phone)
    data = {"on_mon": "1", "start_mon": "18:00", "end_mon": "08:00", "day_off": ""}

    answer = phone.post("/provider/join/hours", "/provider/join/hours", data)

    assert answer.status_code == 400
    assert "周一" in answer.text and "开始时间" in answer.text
    assert (await profile_row(rows.jiejia))["working_hours"] in ("{}", {})


async def test_a_cleaner_walks_the_steps_to_submission(phone: Browser, inbox, rows) -> None:
    """Profile, services, hours, photo, identity, two certificates, the course, submit."""
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")
    fill_profile(phone)
    answer = phone.post(
        "/provider/join/skills",
        "/provider/join/skills",
        {"skill": ["housekeeping.home_cleaning"]},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/provider/join/hours"
    hours = {f"on_{d}": "1" for d in ("mon", "tue", "wed")}
    hours |= {f"start_{d}": "08:00" for d in ("mon", "tue", "wed")}
    hours |= {f"end_{d}": "17:30" for d in ("mon", "tue", "wed")}
    answer = phone.post(
        "/provider/join/hours",
        "/provider/join/hours",
        {**hours, "day_off": ["2030-02-01", ""]},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/provider/join/media"
    assert (await profile_row(rows.jiejia))["days_off"] in ('["2030-02-01"]', ["2030-02-01"])

    token = phone.get("/provider/join/media").text
    from tests.providers.conftest import csrf_of

    answer = phone.client.post(
        "/provider/join/media",
        data={"_csrf_token": csrf_of(token), "kind": "avatar"},
        files={"avatar": ("me.jpg", jpeg(), "image/jpeg")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    media = phone.get("/provider/join/media")
    assert "/media/avatar/" in media.text

    # Identity: the face check gives a token, no image.
    face = phone.post("/provider/join/identity", "/provider/join/identity/face", {})
    assert face.status_code == 200
    token_field = 'name="liveness_token" value="demo-liveness-'
    assert token_field in face.text
    liveness = face.text.split(token_field)[1].split('"')[0]
    answer = phone.post(
        "/provider/join/identity",
        "/provider/join/identity",
        {
            "real_name": "王秀兰",
            "id_number": ID_NUMBER,
            "address": "上海市浦东新区锦绣路1001弄",
            "liveness_token": "demo-liveness-" + liveness,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/provider/join/certificates"

    today = date.today()
    for code in ("health_certificate", "housekeeping_training"):
        page = phone.get("/provider/join/certificates").text
        answer = phone.client.post(
            f"/provider/join/certificates/{code}",
            data={
                "_csrf_token": csrf_of(page),
                "number": f"SH-{code[:4]}-20240101",
                "issuer": "上海市浦东新区卫生健康委员会",
                "valid_from": (today - timedelta(days=10)).isoformat(),
                "valid_until": (today + timedelta(days=300)).isoformat(),
            },
            files={"image": ("cert.png", jpeg((900, 600)), "image/jpeg")},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/provider/join/training"
    assert await within(rows.jiejia, Certificate.count()) == 2
    assert (
        await within(rows.jiejia, ProviderMedia.count().where(ProviderMedia.kind == "certificate"))
        == 2
    )

    lesson = phone.get("/provider/join/training/housekeeping.service_basics/1")
    assert lesson.status_code == 200 and "第 1 课" in lesson.text
    quiz = phone.get("/provider/join/training/housekeeping.service_basics/4")
    assert "交卷" in quiz.text
    answers = {"order": "b", "cloth": "a", "marble": "b", "belongings": "b", "unsafe": "a"}
    answer = phone.post(
        "/provider/join/training/housekeeping.service_basics/4",
        "/provider/join/training/housekeeping.service_basics/quiz",
        answers,
    )
    assert answer.status_code == 200 and "100" in answer.text

    answer = phone.post(
        "/provider/join/submit", "/provider/join/submit", {}, follow_redirects=False
    )
    assert answer.headers["location"].startswith("/provider/status")
    assert (await profile_row(rows.jiejia))["status"] == "pending_review"
    status = phone.get("/provider/status")
    assert status.status_code == 200
    assert "等待审核" in status.text


async def test_a_failed_quiz_says_the_score_and_the_pass_mark(phone: Browser, inbox, rows) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")
    fill_profile(phone)
    phone.post(
        "/provider/join/skills", "/provider/join/skills", {"skill": ["housekeeping.home_cleaning"]}
    )
    course = "housekeeping.service_basics"

    answer = phone.post(
        f"/provider/join/training/{course}/4",
        f"/provider/join/training/{course}/quiz",
        {"order": "b"},
    )

    assert answer.status_code == 400
    assert "20" in answer.text and "80" in answer.text


async def test_an_identity_with_a_wrong_checksum_is_refused_and_nothing_is_kept(
    phone: Browser, inbox, rows
) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")

    answer = phone.post(
        "/provider/join/identity",
        "/provider/join/identity",
        {
            "real_name": "王秀兰",
            "id_number": ID_NUMBER[:-1] + "1",
            "address": "上海市",
            "liveness_token": "demo-liveness-x",
        },
    )

    assert answer.status_code == 400
    assert 'id="err-id_number"' in answer.text
    assert await within(rows.jiejia, IdentityRecord.count()) == 0


async def test_an_expired_certificate_is_refused_with_its_photo_not_kept(
    phone: Browser, inbox, store, rows
) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")
    fill_profile(phone)
    phone.post(
        "/provider/join/skills", "/provider/join/skills", {"skill": ["housekeeping.home_cleaning"]}
    )
    page = phone.get("/provider/join/certificates").text
    from tests.providers.conftest import csrf_of

    answer = phone.client.post(
        "/provider/join/certificates/health_certificate",
        data={
            "_csrf_token": csrf_of(page),
            "number": "SH-2020-0001",
            "issuer": "卫健委",
            "valid_from": "2019-01-01",
            "valid_until": "2020-01-01",
        },
        files={"image": ("cert.jpg", jpeg(), "image/jpeg")},
    )

    assert answer.status_code == 400
    assert 'id="err-valid_until"' in answer.text and "已过期" in answer.text
    assert await within(rows.jiejia, Certificate.count()) == 0
    assert await within(rows.jiejia, ProviderMedia.count()) == 0
    assert store.keys(rows.jiejia) == []


async def test_locksmith_work_adds_the_police_filing_step(
    wanjia_phone: Browser, inbox, rows
) -> None:
    wanjia_phone.sign_in(PHONE, inbox)
    wanjia_phone.get("/provider/join")
    fill_profile(wanjia_phone, area_address="西湖区文三路478号")
    wanjia_phone.post(
        "/provider/join/skills", "/provider/join/skills", {"skill": ["locksmith.door_unlock"]}
    )

    page = wanjia_phone.get("/provider/join/police")
    assert page.status_code == 200 and "公安备案" in page.text
    bad = wanjia_phone.post(
        "/provider/join/police",
        "/provider/join/police",
        {"filing_number": "123", "bureau": "", "filed_on": "2024-01-01"},
    )
    assert bad.status_code == 400 and 'id="err-filing_number"' in bad.text
    assert await within(rows.wanjia, PoliceFiling.count()) == 0
    good = wanjia_phone.post(
        "/provider/join/police",
        "/provider/join/police",
        {
            "filing_number": "ZJ-330106-2024-0088",
            "bureau": "杭州市公安局西湖区分局",
            "filed_on": "2024-03-01",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert await within(rows.wanjia, PoliceFiling.count()) == 1


async def test_a_cleaner_has_no_police_filing_step(phone: Browser, inbox, rows) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")
    fill_profile(phone)
    phone.post(
        "/provider/join/skills", "/provider/join/skills", {"skill": ["housekeeping.home_cleaning"]}
    )

    page = phone.get("/provider/join/police", follow_redirects=False)

    assert page.status_code == 303
    assert "/provider/join/police" not in phone.get("/provider/join/profile").text


async def test_every_step_reads_in_english_on_request(phone: Browser, inbox, rows) -> None:
    phone.sign_in(PHONE, inbox)
    phone.get("/provider/join")
    fill_profile(phone)
    phone.post(
        "/provider/join/skills", "/provider/join/skills", {"skill": ["housekeeping.home_cleaning"]}
    )
    phone.client.cookies.set("doorstep_lang", "en")
    headings = {
        "profile": "About you",
        "skills": "Which services do you do?",
        "hours": "When do you work?",
        "media": "Photos and a short video",
        "identity": "Verify your identity",
        "certificates": "Health certificate",
        "training": "Housekeeping service basics",
        "submit": "Submit for review",
    }

    for step, heading in headings.items():
        page = phone.get(f"/provider/join/{step}")
        assert page.status_code == 200, step
        assert heading in page.text, step
        assert "Step " in page.text and "第 " not in page.text, step
        assert "保存并继续" not in page.text and "继续" not in page.text.split("<main")[1], step
    status = phone.get("/provider/status")
    assert "Verification status" in status.text and "Onboarding" in status.text


async def test_submitting_before_the_training_is_passed_leads_to_the_course(
    phone: Browser, inbox, rows, plugins, jiejia, store
) -> None:
    """The training gate: every other step done, the course not passed, nothing goes to
    review, and the admin has nobody to activate."""
    from tests.providers.conftest import make_provider

    await make_provider(plugins, jiejia, rows.jiejia, store, phone=PHONE, trained=False)
    phone.sign_in(PHONE, inbox)

    answer = phone.post(
        "/provider/join/submit", "/provider/join/submit", {}, follow_redirects=False
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/provider/join/training"
    assert (await profile_row(rows.jiejia))["status"] == "onboarding"
