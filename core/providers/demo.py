"""Demo providers for the two demo tenants: profiles, services, hours, an avatar drawn on the
spot, identity checked by the demo vendor, certificates approved, training passed.

Everything goes through the services (personal values are stored encrypted, uploads pass the
same checks as a real one). Per tenant: one provider whose health certificate lapses in five
days (the trust code shows yellow) and one waiting in the admin's review queue. Wanjia's
locksmith has a confirmed police filing.
"""

from __future__ import annotations

import io
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from core.accounts.profile import ensure_customer
from core.accounts.tables import User
from core.catalog.service import build_catalog
from core.plugins import DoorstepPluginManager
from core.providers import service, storage
from core.providers.media import Upload, prepare
from core.providers.onboarding import onboarding_state, profile_of_user
from core.providers.storage import MediaStore
from core.settings import Settings
from core.tenancy.model import Tenant
from core.tenancy.registry import TenantRegistry
from core.tenancy.scoped import tenant_transaction
from core.tenancy.service import tenant_row_id
from core.verification import approval, identity, proofs
from core.verification.certificates import certificate_label
from core.verification.demo import DemoVerifier
from core.verification.idcard import check_char

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)
COLOURS = ("#0f766e", "#b45309", "#7c3aed", "#be123c", "#1d4ed8", "#15803d", "#a16207")
WEEKDAYS = {"mon", "tue", "wed", "thu", "fri"}


@dataclass(frozen=True)
class DemoProvider:
    phone: str
    name: str
    pinyin: str
    """Its initial is drawn where no Chinese font is installed."""
    gender: str
    birth: str
    """``YYYYMMDD``: the ID number's birth date."""
    years: int
    languages: tuple[str, ...]
    bio: str
    skills: tuple[str, ...]
    centre: str = ""
    radius_km: float = 5.0
    districts: tuple[str, ...] = ()
    weekend: bool = False
    pending: bool = False
    """Submitted, waiting in the admin's review queue."""
    health_lapses_soon: bool = False


HK = "housekeeping"
PROVIDERS: dict[str, tuple[DemoProvider, ...]] = {
    "jiejia": (
        DemoProvider("13761520318", "张秀兰", "Zhang", "female", "19720314", 15, ("zh", "wuu"),
                     "做保洁十五年，厨房重油污和卫生间水垢最拿手，做事干净利落。",
                     (f"{HK}.home_cleaning", f"{HK}.kitchen_cleaning"),
                     centre="浦东新区世纪大道100号", radius_km=6),
        DemoProvider("13917736025", "李桂芳", "Li", "female", "19780822", 10, ("zh",),
                     "细心耐心，擅长收纳整理，老客户回头率高。",
                     (f"{HK}.home_cleaning", f"{HK}.hourly_help", f"{HK}.organising"),
                     centre="徐汇区漕溪北路88号", radius_km=5, weekend=True),
        DemoProvider("13601862947", "王建华", "Wang", "male", "19830105", 8, ("zh", "wuu"),
                     "家电清洗师傅，空调、油烟机、洗衣机拆洗，自带专业工具。",
                     (f"{HK}.appliance_cleaning", f"{HK}.kitchen_cleaning"),
                     centre="静安区南京西路1266号", radius_km=8),
        DemoProvider("15021478836", "陈美玲", "Chen", "female", "19860611", 6, ("zh", "en"),
                     "做事有条理，可用简单英语沟通，外籍家庭好评多。",
                     (f"{HK}.home_cleaning", f"{HK}.organising"), districts=("长宁区", "静安区"),
                     health_lapses_soon=True),
        DemoProvider("13818265073", "刘翠萍", "Liu", "female", "19750928", 12, ("zh", "wuu"),
                     "钟点工经验丰富，做饭、保洁都可以，守时靠谱。",
                     (f"{HK}.hourly_help", f"{HK}.home_cleaning"), districts=("普陀区", "长宁区"),
                     weekend=True),
        DemoProvider("18721539904", "赵丽娟", "Zhao", "female", "19900416", 3, ("zh",),
                     "年轻有干劲，认真学习保洁标准流程。",
                     (f"{HK}.home_cleaning",), centre="闵行区七莘路3655号", radius_km=6,
                     pending=True),
    ),
    "wanjia": (
        DemoProvider("13758234416", "周桂英", "Zhou", "female", "19740207", 14, ("zh",),
                     "保洁十四年，开荒保洁、深度保洁都做过几百户。",
                     (f"{HK}.home_cleaning", f"{HK}.kitchen_cleaning"), centre="西湖区文三路478号",
                     radius_km=6),
        DemoProvider("13858120675", "孙志强", "Sun", "male", "19801119", 16, ("zh",),
                     "持证电工，水电维修十六年，先检测后报价，不乱收费。",
                     ("repair.socket_switch", "repair.circuit_fault", "repair.light_install",
                      "repair.leak_repair", "repair.faucet_replace"),
                     centre="拱墅区莫干山路100号", radius_km=10, weekend=True),
        DemoProvider("15988176302", "吴思远", "Wu", "male", "19920503", 6, ("zh", "en"),
                     "浙江大学数学系毕业，初高中数学、物理辅导，注重思路和习惯。",
                     ("tutoring.math", "tutoring.physics"), centre="西湖区天目山路398号",
                     radius_km=8, weekend=True),
        DemoProvider("13968047251", "郑德胜", "Zheng", "male", "19760830", 20, ("zh",),
                     "公安备案开锁师傅，开锁、换锁芯、装智能锁，二十年经验。",
                     ("locksmith.door_unlock", "locksmith.lock_change",
                      "locksmith.smart_lock_install"),
                     centre="上城区解放路138号", radius_km=12, weekend=True),
        DemoProvider("18658197730", "钱美华", "Qian", "female", "19850712", 9, ("zh",),
                     "钟点工、收纳整理，手脚麻利，爱干净。",
                     (f"{HK}.hourly_help", f"{HK}.organising"), districts=("滨江区", "萧山区"),
                     health_lapses_soon=True),
        DemoProvider("13735860419", "冯晓东", "Feng", "male", "19880224", 7, ("zh",),
                     "家电维修，空调、洗衣机、热水器，原厂配件。",
                     ("repair.air_conditioner", "repair.washing_machine", "repair.water_heater"),
                     centre="余杭区文一西路969号", radius_km=10, pending=True),
    ),
}  # fmt: skip
ISSUERS = {
    "health_certificate": "{city}疾病预防控制中心",
    "housekeeping_training": "{city}家庭服务业协会",
    "electrician_licence": "浙江省应急管理厅",
    "teacher_qualification": "浙江省教育厅",
    "no_criminal_record": "{city}公安局",
}
CITY = {"jiejia": "上海市", "wanjia": "杭州市"}
PROVINCE_CODE = {"jiejia": "310115", "wanjia": "330106"}


def find_font() -> Path | None:
    return next((Path(p) for p in FONT_PATHS if Path(p).is_file()), None)


def avatar_image(person: DemoProvider, colour: str) -> bytes:
    """A round-looking avatar: the surname in white on a coloured square (no downloads)."""
    size = 512
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    font_path = find_font()
    glyph = person.name[0] if font_path else person.pinyin[0]
    font: Any = (
        ImageFont.truetype(str(font_path), 260) if font_path else ImageFont.load_default(size=260)
    )
    draw.ellipse((40, 40, size - 40, size - 40), outline="#ffffff", width=10)
    draw.text((size / 2, size / 2), glyph, fill="#ffffff", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def certificate_image(title: str, holder: str) -> bytes:
    """A plain card standing in for the photo of a certificate."""
    image = Image.new("RGB", (900, 600), "#fdf6e3")
    draw = ImageDraw.Draw(image)
    font_path = find_font()
    big: Any = ImageFont.truetype(str(font_path), 64) if font_path else ImageFont.load_default(64)
    small: Any = ImageFont.truetype(str(font_path), 40) if font_path else ImageFont.load_default(40)
    draw.rectangle((20, 20, 880, 580), outline="#b45309", width=8)
    draw.text((450, 200), title if font_path else "CERTIFICATE", fill="#7c2d12", font=big,
              anchor="mm")  # fmt: skip
    draw.text((450, 330), holder if font_path else "Demo", fill="#1f2937", font=small, anchor="mm")
    draw.text((450, 450), "DEMO", fill="#9ca3af", font=small, anchor="mm")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def id_number_of(slug: str, person: DemoProvider, seq: int) -> str:
    """A valid ID number (checksum, real date) whose sequence parity matches the gender."""
    order = seq * 2 + (1 if person.gender == "male" else 0)
    first = f"{PROVINCE_CODE[slug]}{person.birth}{order % 1000:03d}"
    return first + check_char(first)


async def seed_demo_providers(
    registry: TenantRegistry, plugins: DoorstepPluginManager, settings: Settings
) -> str:
    """Idempotent: a provider already submitted is left as it is."""
    store = MediaStore.under(settings.var_dir)
    made = 0
    for tenant in registry:
        tenant_id = await tenant_row_id(tenant.slug)
        if tenant_id is None or tenant.slug not in PROVIDERS:
            continue
        for seq, person in enumerate(PROVIDERS[tenant.slug], start=1):
            async with tenant_transaction(tenant_id):
                made += await _seed_one(plugins, tenant, tenant_id, store, person, seq)
    return f"{made} providers added"


async def _reviewer(tenant_id: str) -> str:
    """The tenant's first admin (demo accounts), or the provider's own id as a placeholder."""
    row = await (
        User.select(User.id)
        .where((User.tenant == tenant_id) & (User.kind == "staff") & User.roles.like("%admin%"))
        .first()
    )
    return str(row["id"]) if row else "00000000-0000-0000-0000-000000000000"


async def _seed_one(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    tenant_id: str,
    store: MediaStore,
    person: DemoProvider,
    seq: int,
) -> int:
    now = datetime.now(UTC)
    today = now.date()
    user_id = await ensure_customer(tenant_id, person.phone, person.name)
    existing = await profile_of_user(user_id, tenant_id)
    if existing is not None and existing["status"] != "onboarding":
        return 0
    catalog = build_catalog(plugins, tenant)[0]
    profile_id = await service.start_onboarding(user_id, tenant_id)
    await identity.record_phone_verified(tenant, tenant_id, profile_id, now=now)
    lat = lng = None
    if person.centre:
        from core.accounts.profile import flatten, locate

        place = await locate(flatten(plugins.for_tenant(tenant).geocoders()), person.centre)
        lat, lng = (place.lat, place.lng) if place else (None, None)
    await service.save_profile(
        profile_id,
        tenant_id,
        service.ProfileInput(
            name=person.name,
            gender=person.gender,
            birth_year=int(person.birth[:4]),
            years_experience=person.years,
            languages=list(person.languages),
            bio=person.bio,
            area_lat=lat,
            area_lng=lng,
            area_radius_km=person.radius_km if lat is not None else 0.0,
            area_districts=person.districts if lat is None else (),
        ),
    )
    await service.set_skills(
        profile_id, tenant_id, list(person.skills), {i.ref for i in catalog.items}
    )
    days = WEEKDAYS | ({"sat", "sun"} if person.weekend else set())
    hours = {d: ["08:00", "18:00"] if d in WEEKDAYS else ["09:00", "17:00"] for d in days}
    await service.save_availability(profile_id, tenant_id, hours, [])
    state = await onboarding_state(plugins, tenant, tenant_id, catalog, profile_id)
    if not state.has("avatar"):
        avatar = Upload(avatar_image(person, COLOURS[seq % len(COLOURS)]), "image/png")
        await storage.save_media(store, tenant_id, profile_id, "avatar", [avatar])
    # The vendor is asked a minute "ago", so its answer is in by the time it is polled.
    started = DemoVerifier(clock=lambda: time.time() - 60)
    await identity.submit_identity(
        tenant,
        tenant_id,
        profile_id,
        id_number=id_number_of(tenant.slug, person, seq),
        real_name=person.name,
        address=f"{CITY[tenant.slug]}{person.centre or person.districts[0]}",
        liveness_token=f"demo-liveness-seed-{seq}",
        verifier=started,
        now=now,
    )
    await identity.poll_vendor_checks(tenant, tenant_id, [DemoVerifier()], now=now)
    reviewer = await _reviewer(tenant_id)
    for code in state.requirements.certificates:
        if code in state.certificates:
            continue
        serial = zlib.crc32(f"{person.phone}:{code}".encode()) % 10**8
        cert_id = await proofs.submit_certificate(
            tenant_id,
            profile_id,
            kind=code,
            number=f"{PROVINCE_CODE[tenant.slug][:2]}{seq:02d}{serial:08d}",
            issuer=ISSUERS.get(code, "{city}").format(city=CITY[tenant.slug]),
            valid_from=today - timedelta(days=200),
            valid_until=_valid_until(code, person, today),
            image=prepare(
                Upload(certificate_image(certificate_label(code)["zh_CN"], person.name)),
                kind="certificate",
                field="image",
            ),
            store=store,
            today=today,
        )
        if not person.pending:
            await proofs.review_certificate(
                tenant_id, cert_id, approve=True, reason="", reviewer_id=reviewer, now=now
            )
    if state.requirements.police_filing and state.police_filing is None:
        await proofs.submit_police_filing(
            tenant_id,
            profile_id,
            filing_number=f"ZJHZ-KS-{today.year - 3}-{seq:04d}",
            bureau="杭州市公安局上城区分局",
            filed_on=today - timedelta(days=3 * 365),
            now=now,
        )
        if not person.pending:
            await proofs.review_police_filing(
                tenant, tenant_id, profile_id, approve=True, reason="", now=now
            )
    for course in state.requirements.courses:
        if course.key not in state.courses_passed:
            answers = {q.key: q.answer for q in course.quiz}
            await proofs.take_quiz(tenant_id, profile_id, course, answers, now=now)
    await approval.submit_for_review(tenant_id, profile_id)
    if not person.pending:
        await approval.review_provider(tenant_id, profile_id, approve=True, reason="", now=now)
    return 1


def _valid_until(code: str, person: DemoProvider, today: date) -> date | None:
    if code == "health_certificate":
        return today + timedelta(days=5 if person.health_lapses_soon else 300)
    if code in {"teacher_qualification", "housekeeping_training"}:
        return None
    return today + timedelta(days=3 * 365)
