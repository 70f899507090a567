"""Uploads: the type comes from the bytes, never the name; images are re-encoded without
metadata; floods, polyglots and oversized files are refused; files are served only through
signed, expiring URLs of their own tenant."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from core.providers.media import (
    IMAGE_MAX_BYTES,
    VIDEO_MAX_BYTES,
    MediaError,
    Upload,
    prepare,
    sniff,
)
from core.providers.tables import ProviderMedia
from tests.providers.conftest import csrf_of, jpeg, mp4, png, within


def refused(data: bytes, kind: str = "photo", declared: str = "", name: str = "x") -> str:
    with pytest.raises(MediaError) as caught:
        prepare(Upload(data, declared, name), kind=kind, field=kind)
    assert caught.value.field == kind
    return caught.value.reason


def webm(tail: bytes = b"") -> bytes:
    header = b"\x42\x86\x81\x01\x42\x82\x84webm"
    segment_body = b"\x15\x49\xa9\x66\x80"  # an empty Info element
    return (
        b"\x1a\x45\xdf\xa3"
        + bytes([0x80 | len(header)])
        + header
        + b"\x18\x53\x80\x67"
        + bytes([0x80 | len(segment_body)])
        + segment_body
        + tail
    )


# --- what a file is -------------------------------------------------------------------------


def test_types_are_sniffed_from_magic_numbers() -> None:
    assert sniff(jpeg()) == "image/jpeg"
    assert sniff(png()) == "image/png"
    assert sniff(mp4()) == "video/mp4"
    assert sniff(webm()) == "video/webm"
    assert sniff(b"<html><script>alert(1)</script></html>") is None
    assert sniff(b"%PDF-1.7") is None


def test_a_web_page_named_like_a_photo_is_not_a_photo() -> None:
    page = b"<!doctype html><script>document.cookie</script>"

    assert refused(page, declared="image/jpeg", name="holiday.jpg") == (
        "not a JPEG, PNG or WebP image"
    )


def test_a_photo_offered_as_a_video_is_refused() -> None:
    assert refused(jpeg(), kind="video", declared="video/mp4", name="intro.mp4") == (
        "not an MP4 or WebM video"
    )


def test_a_declared_type_that_disagrees_with_the_content_is_refused() -> None:
    reason = refused(png(), declared="image/jpeg", name="me.jpg")

    assert reason == "the file's declared type does not match its content"


def test_a_generic_declared_type_is_accepted_when_the_content_is_a_picture() -> None:
    made = prepare(
        Upload(jpeg(), "application/octet-stream", "IMG_0001"), kind="photo", field="photo"
    )

    assert made.content_type == "image/jpeg"


# --- sizes and floods -----------------------------------------------------------------------


def test_an_image_over_8_mb_is_refused_before_it_is_decoded() -> None:
    big = jpeg() + b"\x00" * (IMAGE_MAX_BYTES + 1)

    assert refused(big, declared="image/jpeg") == "the image is larger than 8 MB"


def test_a_video_over_50_mb_is_refused() -> None:
    big = mp4(b"\x00" * (VIDEO_MAX_BYTES + 1))

    assert refused(big, kind="video", declared="video/mp4") == "the video is larger than 50 MB"


def test_a_pixel_flood_is_refused_from_its_header() -> None:
    flood = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(flood, "PNG")  # a few KB, 400 Mpx once decoded
    assert len(flood.getvalue()) < 100_000

    assert refused(flood.getvalue(), declared="image/png") == (
        "the image has too many pixels (over 40 megapixels)"
    )


def test_a_truncated_picture_is_refused() -> None:
    assert refused(jpeg((800, 600))[:600], declared="image/jpeg") == (
        "the image is damaged or incomplete"
    )


# --- polyglots and metadata -----------------------------------------------------------------


def test_a_jpeg_with_a_zip_archive_appended_is_refused() -> None:
    archive = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")

    reason = refused(jpeg() + archive.getvalue(), declared="image/jpeg")

    assert reason == "the file hides an archive behind the picture"


def test_a_jpeg_with_a_script_tail_is_refused() -> None:
    reason = refused(jpeg() + b"<script>fetch('/account')</script>", declared="image/jpeg")

    assert reason == "the file hides web page code"


def test_a_png_with_html_in_a_text_chunk_is_refused() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<html><body onload=alert(1)>")
    out = io.BytesIO()
    Image.new("RGB", (64, 64)).save(out, "PNG", pnginfo=info)

    assert refused(out.getvalue(), declared="image/png") == "the file hides web page code"


def test_a_video_with_bytes_appended_is_refused() -> None:
    reason = refused(mp4() + b"<html>hi</html>", kind="video", declared="video/mp4")

    assert reason == "the video is damaged, incomplete or has data appended"


def test_complete_videos_are_kept_as_sent() -> None:
    for data, declared in ((mp4(), "video/mp4"), (webm(), "video/webm")):
        made = prepare(Upload(data, declared), kind="video", field="video")
        assert (made.content_type, made.data) == (declared, data)


def test_exif_is_stripped_and_the_picture_turned_upright() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera maker
    exif[0x0112] = 6  # orientation: rotate 90 degrees
    exif[0x8825] = {1: "N", 2: (31.0, 13.0, 56.0)}  # GPS
    original = jpeg((600, 400), exif=exif.tobytes())

    made = prepare(Upload(original, "image/jpeg"), kind="photo", field="photo")

    assert b"Exif" not in made.data and b"PhoneMaker" not in made.data
    with Image.open(io.BytesIO(made.data)) as stored:
        assert dict(stored.getexif()) == {}
        assert stored.size == (400, 600)  # upright
        assert "icc_profile" not in stored.info


def test_big_photos_are_scaled_down_and_transparent_ones_kept_as_webp() -> None:
    made = prepare(Upload(jpeg((5000, 4000)), "image/jpeg"), kind="photo", field="photo")
    assert max(made.width or 0, made.height or 0) == 2560

    clear = prepare(Upload(png(mode="RGBA"), "image/png"), kind="avatar", field="avatar")
    assert clear.content_type == "image/webp"


# --- storage and signed URLs ----------------------------------------------------------------


@pytest.mark.db
async def test_file_names_never_become_paths(rows, store, plugins, jiejia) -> None:
    from core.providers import storage

    profile_id = await _provider(rows.jiejia)
    before = set(store.root.parent.rglob("*"))

    ids = await storage.save_media(
        store,
        rows.jiejia,
        profile_id,
        "photo",
        [
            Upload(jpeg(), "image/jpeg", "../../../etc/passwd.jpg"),
            Upload(jpeg(), "image/jpeg", "..\\..\\boot.ini"),
        ],
    )

    rows_saved = await within(
        rows.jiejia, ProviderMedia.select().where(ProviderMedia.id.is_in(ids))
    )
    for row in rows_saved:
        assert "passwd" not in row["storage_key"] and ".." not in row["storage_key"]
        path = store.path(rows.jiejia, row["storage_key"])
        assert path.is_file()
        assert path.parent.parent == store.root / rows.jiejia
    created = {p for p in set(store.root.parent.rglob("*")) - before if p.is_file()}
    assert created and all(p.is_relative_to(store.root / rows.jiejia) for p in created)


@pytest.mark.db
async def test_a_bad_file_among_several_saves_none(rows, store) -> None:
    from core.providers import storage

    profile_id = await _provider(rows.jiejia)

    with pytest.raises(MediaError):
        await storage.save_media(
            store,
            rows.jiejia,
            profile_id,
            "photo",
            [Upload(jpeg(), "image/jpeg"), Upload(b"GIF89a...", "image/gif")],
        )

    assert await within(rows.jiejia, ProviderMedia.count()) == 0
    assert store.keys(rows.jiejia) == []


@pytest.mark.db
async def test_a_failed_database_write_leaves_no_file(rows, store, monkeypatch) -> None:
    from core.providers import storage

    profile_id = await _provider(rows.jiejia)

    async def broken(*rows_to_insert):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(storage.ProviderMedia, "insert", broken)
    with pytest.raises(RuntimeError):
        await storage.save_media(
            store, rows.jiejia, profile_id, "avatar", [Upload(jpeg(), "image/jpeg")]
        )
    monkeypatch.undo()

    assert store.keys(rows.jiejia) == []
    assert await within(rows.jiejia, ProviderMedia.count()) == 0


@pytest.mark.db
async def test_a_new_avatar_replaces_the_old_one_and_its_file(rows, store) -> None:
    from core.providers import storage

    profile_id = await _provider(rows.jiejia)
    await storage.save_media(store, rows.jiejia, profile_id, "avatar", [Upload(jpeg(), "")])
    await storage.save_media(store, rows.jiejia, profile_id, "avatar", [Upload(png(), "")])

    avatars = await within(
        rows.jiejia, ProviderMedia.select().where(ProviderMedia.kind == "avatar")
    )
    assert len(avatars) == 1
    assert [k for k, _ in store.keys(rows.jiejia)] == [avatars[0]["storage_key"]]


@pytest.mark.db
async def test_orphan_files_are_swept_after_an_hour(rows, store) -> None:
    from core.providers import storage
    from core.providers.media import PreparedMedia

    key = store.write(rows.jiejia, PreparedMedia("photo", "image/jpeg", jpeg()))

    assert await storage.sweep_orphans(store, rows.jiejia) == 0
    later = datetime.now(UTC) + timedelta(hours=2)
    assert await storage.sweep_orphans(store, rows.jiejia, later) == 1
    assert not store.path(rows.jiejia, key).exists()


def signed_parts(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, query["exp"][0], query["sig"][0]


@pytest.mark.db
async def test_media_are_served_only_through_their_signed_url(rows, store, phone) -> None:
    from core.providers import storage

    profile_id = await _provider(rows.jiejia)
    [media_id] = await storage.save_media(
        store, rows.jiejia, profile_id, "photo", [Upload(jpeg(), "image/jpeg")]
    )
    key = await key_of(rows.jiejia, media_id)
    url = storage.signed_url(rows.jiejia, key, datetime.now(UTC))
    path, exp, sig = signed_parts(url)

    served = phone.get(url)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("image/jpeg")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == store.path(rows.jiejia, key).read_bytes()

    tampered_sig = sig[:-2] + ("AA" if not sig.endswith("AA") else "BB")
    assert phone.get(f"{path}?exp={exp}&sig={tampered_sig}").status_code == 404
    assert phone.get(f"{path}?exp={int(exp) + 3600}&sig={sig}").status_code == 404
    assert phone.get(path).status_code == 404
    other = key.replace(key.split("/")[1][:4], "0000")
    assert phone.get(f"/media/{other}?exp={exp}&sig={sig}").status_code == 404
    assert phone.get(f"/media/photo/..%2F..%2Fkeys.json?exp={exp}&sig={sig}").status_code == 404


@pytest.mark.db
async def test_an_expired_media_url_is_a_404(rows, store, phone) -> None:
    from core.providers import storage

    profile_id = await _provider(rows.jiejia)
    [media_id] = await storage.save_media(
        store, rows.jiejia, profile_id, "photo", [Upload(jpeg(), "image/jpeg")]
    )
    key = await key_of(rows.jiejia, media_id)

    old = storage.signed_url(rows.jiejia, key, datetime.now(UTC) - timedelta(hours=2))

    assert phone.get(old).status_code == 404


@pytest.mark.db
async def test_another_tenants_host_cannot_open_the_link(rows, store, wanjia_phone) -> None:
    from core.providers import storage

    profile_id = await _provider(rows.jiejia)
    [media_id] = await storage.save_media(
        store, rows.jiejia, profile_id, "photo", [Upload(jpeg(), "image/jpeg")]
    )
    key = await key_of(rows.jiejia, media_id)

    url = storage.signed_url(rows.jiejia, key, datetime.now(UTC))

    assert wanjia_phone.get(url).status_code == 404


@pytest.mark.db
async def test_a_removed_photo_stops_being_served(rows, store, phone) -> None:
    from core.providers import storage

    profile_id = await _provider(rows.jiejia)
    [media_id] = await storage.save_media(
        store, rows.jiejia, profile_id, "photo", [Upload(jpeg(), "image/jpeg")]
    )
    key = await key_of(rows.jiejia, media_id)
    url = storage.signed_url(rows.jiejia, key, datetime.now(UTC))

    await storage.delete_media(store, rows.jiejia, profile_id, media_id)

    assert phone.get(url).status_code == 404
    assert not store.path(rows.jiejia, key).exists()


@pytest.mark.db
async def test_videos_answer_range_requests(rows, store, phone) -> None:
    from core.providers import storage

    profile_id = await _provider(rows.jiejia)
    video = mp4(b"\x01" * 5000)
    [media_id] = await storage.save_media(
        store, rows.jiejia, profile_id, "video", [Upload(video, "video/mp4")]
    )
    key = await key_of(rows.jiejia, media_id)

    part = phone.get(
        storage.signed_url(rows.jiejia, key, datetime.now(UTC)), headers={"range": "bytes=0-99"}
    )

    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-99/{len(video)}"
    assert part.content == video[:100]


@pytest.mark.db
async def test_an_upload_through_the_page_reports_the_field_and_reason(rows, phone, inbox) -> None:
    phone.sign_in("13912345678", inbox)
    phone.get("/provider/join")
    page = phone.get("/provider/join/media").text

    answer = phone.client.post(
        "/provider/join/media",
        data={"_csrf_token": csrf_of(page), "kind": "avatar"},
        files={"avatar": ("me.jpg", b"<html><script>alert(1)</script>", "image/jpeg")},
    )

    assert answer.status_code == 400
    assert 'id="err-avatar"' in answer.text
    assert "头像" in answer.text and "不是 JPEG、PNG 或 WebP 图片" in answer.text
    assert await within(rows.jiejia, ProviderMedia.count()) == 0


async def key_of(tenant_id: str, media_id: str) -> str:
    found = await within(tenant_id, ProviderMedia.select().where(ProviderMedia.id == media_id))
    return str(found[0]["storage_key"])


async def _provider(tenant_id: str) -> str:
    from core.accounts.profile import ensure_customer
    from core.providers import service

    user_id = await ensure_customer(tenant_id, "13900002222")
    return await service.start_onboarding(user_id, tenant_id)
