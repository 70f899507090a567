"""Uploaded photos and videos: what a file *is* (sniffed from its bytes, never its name), and
images made safe by re-encoding.

Images (JPEG, PNG, WebP) are opened by Pillow, checked against a pixel budget before any
decoding, and drawn onto a fresh canvas: EXIF (GPS, camera serials), ICC profiles, comments and
anything appended after the picture are gone from what is stored. Videos (MP4, WebM) cannot be
re-encoded here, so their container structure is walked instead: a box or element that runs
past the end, or bytes trailing a complete file, make them invalid.

A polyglot (a picture that is also a ZIP archive or a web page) is rejected with its reason,
and a file whose declared type disagrees with its content is rejected too.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_MAX_BYTES = 8 * 1024 * 1024
VIDEO_MAX_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 40_000_000
"""Pixel budget of one image (40 Mpx): a 'pixel flood' PNG of a few KB that decodes to
gigabytes is refused from its header, before decoding."""
MIN_SIDE = 32
LONG_SIDE = {"photo": 2560, "avatar": 1024, "certificate": 3200}
"""Stored images are scaled down to this long side (phones upload 12 Mpx pictures)."""

# Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; warnings are made errors
# below, so anything above the budget is refused.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

IMAGE_KINDS = frozenset({"photo", "avatar", "certificate"})
VIDEO_KINDS = frozenset({"video"})
KINDS = IMAGE_KINDS | VIDEO_KINDS
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
VIDEO_TYPES = frozenset({"video/mp4", "video/webm"})
EXTENSIONS = {"image/jpeg": "jpg", "image/webp": "webp", "video/mp4": "mp4", "video/webm": "webm"}
CONTENT_TYPES = {ext: content_type for content_type, ext in EXTENSIONS.items()}
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
"""Declared types that say nothing (some phones send these): no disagreement possible."""
MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash",
     b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"mmp4", b"MSNV", b"f4v "}
)  # fmt: skip
MARKUP = re.compile(rb"<(script|html|iframe|body|\?php|!doctype)", re.IGNORECASE)
SCAN_WINDOW = 64 * 1024


class MediaError(Exception):
    """A file that cannot be accepted; ``field`` is the form field, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class Upload:
    """A file as it arrived. ``filename`` is kept for nothing but messages: never a path."""

    data: bytes
    content_type: str = ""
    filename: str = ""


@dataclass(frozen=True)
class PreparedMedia:
    """A checked (and for images, re-encoded) file, ready to be stored."""

    kind: str
    content_type: str
    data: bytes
    width: int | None = None
    height: int | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def sniff(data: bytes) -> str | None:
    """The type the bytes say they are, from magic numbers only; None if none we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in MP4_BRANDS:
        return "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:64]:
        return "video/webm"
    return None


def declared_type(value: str) -> str:
    main = value.split(";", 1)[0].strip().lower()
    return ALIASES.get(main, main)


def prepare(upload: Upload, *, kind: str, field: str) -> PreparedMedia:
    """Check one upload for ``kind`` and return what may be stored. Raises MediaError."""
    if kind not in KINDS:
        raise MediaError(field, "not a kind of file this page takes")
    data = upload.data
    if not data:
        raise MediaError(field, "choose a file")
    wants_video = kind in VIDEO_KINDS
    limit = VIDEO_MAX_BYTES if wants_video else IMAGE_MAX_BYTES
    if len(data) > limit:
        raise MediaError(
            field,
            "the video is larger than 50 MB" if wants_video else "the image is larger than 8 MB",
        )
    found = sniff(data)
    if wants_video and found not in VIDEO_TYPES:
        raise MediaError(field, "not an MP4 or WebM video")
    if not wants_video and found not in IMAGE_TYPES:
        raise MediaError(field, "not a JPEG, PNG or WebP image")
    assert found is not None
    declared = declared_type(upload.content_type)
    if declared not in GENERIC_TYPES and declared != found:
        raise MediaError(field, "the file's declared type does not match its content")
    if wants_video:
        return _prepare_video(data, found, kind, field)
    return _prepare_image(data, found, kind, field)


# --- images ---------------------------------------------------------------------------------


def _prepare_image(data: bytes, found: str, kind: str, field: str) -> PreparedMedia:
    end, metadata = _image_extent(data, found)
    _refuse_polyglot(data[end:], metadata, field)
    formats = [IMAGE_TYPES[found]]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise MediaError(field, "the image has too many pixels (over 40 megapixels)")
                probe.verify()
            with Image.open(io.BytesIO(data), formats=formats) as opened:
                opened.seek(0)  # an animated image keeps its first frame only
                if opened.format == "JPEG":  # decode at a reduced scale when it is big
                    opened.draft("RGB", (LONG_SIDE[kind], LONG_SIDE[kind]))
                opened.load()
                upright = ImageOps.exif_transpose(opened)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(field, "the image has too many pixels (over 40 megapixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise MediaError(field, "the image is damaged or incomplete") from None
    if min(upright.size) < MIN_SIDE:
        raise MediaError(field, "the image is too small")
    upright.thumbnail((LONG_SIDE[kind], LONG_SIDE[kind]), Image.Resampling.LANCZOS)
    has_alpha = upright.mode in {"RGBA", "LA", "PA"} or "transparency" in upright.info
    mode = "RGBA" if has_alpha else "RGB"
    # A fresh canvas carries no metadata of the original (EXIF, ICC, text chunks, comments).
    clean = Image.new(mode, upright.size)
    clean.paste(upright.convert(mode))
    out = io.BytesIO()
    if has_alpha:
        clean.save(out, "WEBP", quality=85, method=4)
        content_type = "image/webp"
    else:
        clean.save(out, "JPEG", quality=85, optimize=True, progressive=True)
        content_type = "image/jpeg"
    return PreparedMedia(kind, content_type, out.getvalue(), clean.width, clean.height)


def _image_extent(data: bytes, found: str) -> tuple[int, list[bytes]]:
    """Where the picture ends, and its metadata payloads (comments, text chunks)."""
    try:
        if found == "image/png":
            return _png_extent(data)
        if found == "image/webp":
            size = int.from_bytes(data[4:8], "little")
            return min(len(data), 8 + size + (size & 1)), []
        return _jpeg_extent(data)
    except (IndexError, ValueError):
        return len(data), []


def _png_extent(data: bytes) -> tuple[int, list[bytes]]:
    pos, texts = 8, []
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk = data[pos + 4 : pos + 8]
        if chunk in {b"tEXt", b"iTXt"}:
            texts.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
        if chunk == b"IEND":
            return min(pos, len(data)), texts
    return len(data), texts


def _jpeg_extent(data: bytes) -> tuple[int, list[bytes]]:
    """Walk the segments; entropy-coded data never holds FF + a marker other than RSTn."""
    pos, n = 2, len(data)
    texts: list[bytes] = []
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            raise ValueError("not a marker")
        marker = data[pos + 1]
        if marker == 0xD9:
            return pos + 2, texts
        if marker == 0xFF:
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            texts.append(data[pos + 4 : pos + 2 + length])
        pos += 2 + length
        if marker == 0xDA:
            pos = _after_scan(data, pos)
    return n, texts


def _after_scan(data: bytes, pos: int) -> int:
    """The next marker after entropy-coded data (FF 00 is a stuffed byte, FF Dn a restart)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return len(data)
        if data[pos + 1] == 0x00 or 0xD0 <= data[pos + 1] <= 0xD7:
            pos += 2
            continue
        return pos


def _refuse_polyglot(tail: bytes, metadata: list[bytes], field: str) -> None:
    if _is_archive(tail):
        raise MediaError(field, "the file hides an archive behind the picture")
    if MARKUP.search(tail) or any(MARKUP.search(chunk) for chunk in metadata):
        raise MediaError(field, "the file hides web page code")


def _is_archive(tail: bytes) -> bool:
    if b"PK\x03\x04" in tail or b"PK\x05\x06" in tail:
        return True
    return bool(tail) and zipfile.is_zipfile(io.BytesIO(tail))


# --- videos ---------------------------------------------------------------------------------


def _prepare_video(data: bytes, found: str, kind: str, field: str) -> PreparedMedia:
    complete = _mp4_complete(data) if found == "video/mp4" else _webm_complete(data)
    if not complete:
        raise MediaError(field, "the video is damaged, incomplete or has data appended")
    edges = data[:SCAN_WINDOW] + data[-SCAN_WINDOW:]
    if _is_archive(data[-SCAN_WINDOW:]) or MARKUP.search(edges):
        raise MediaError(field, "the file hides web page code or an archive")
    return PreparedMedia(kind, found, data)


def _mp4_complete(data: bytes) -> bool:
    """Top-level boxes tile the file exactly, and the movie header (``moov``) is there."""
    pos, n, seen = 0, len(data), set()
    while pos < n:
        if n - pos < 8:
            return False
        size = int.from_bytes(data[pos : pos + 4], "big")
        box = data[pos + 4 : pos + 8]
        header = 8
        if size == 1:
            if n - pos < 16:
                return False
            size, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif size == 0:
            size = n - pos
        if size < header or pos + size > n or not all(32 <= b < 127 or b == 0xA9 for b in box):
            return False
        seen.add(box)
        pos += size
    return b"moov" in seen


def _vint(data: bytes, pos: int, keep_marker: bool = False) -> tuple[int, int, bool]:
    """An EBML variable-length integer at ``pos``: (value, length, all-ones 'unknown')."""
    first = data[pos]
    length = next((i + 1 for i in range(8) if first & (0x80 >> i)), 0)
    if length == 0 or pos + length > len(data):
        raise ValueError("bad EBML integer")
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[pos + 1 : pos + length]:
        value = (value << 8) | b
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, unknown


def _webm_complete(data: bytes) -> bool:
    """An EBML header saying ``webm``, then one Segment that ends where the file ends (a
    live recording's Segment of unknown size runs to the end by definition)."""
    try:
        pos = 4
        size, width, _ = _vint(data, pos)
        header = data[pos + width : pos + width + size]
        if b"\x42\x82" not in header or b"webm" not in header:
            return False
        pos += width + size
        element, width, _ = _vint(data, pos, keep_marker=True)
        if element != 0x18538067:
            return False
        pos += width
        size, width, unknown = _vint(data, pos)
        return unknown or pos + width + size == len(data)
    except (ValueError, IndexError):
        return False
