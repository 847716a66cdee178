"""Ticket attachments: what a file is (from its bytes, never its name), and a clean copy of it.

Accepted: JPEG, PNG, WebP and PDF up to 10 MB. Images are decoded and encoded again with Pillow,
which drops EXIF (a phone photo's GPS position), XMP and any bytes appended after the image; a
file that does not decode is refused. A PDF is kept as sent (it is served only as a download,
with ``nosniff``, to staff of the ticket's department).
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}
PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}

TOO_LARGE = "文件过大，单个附件不能超过10MB"
UNSUPPORTED = "只能上传JPEG、PNG、WebP图片或PDF文件"
BROKEN = "文件已损坏或不是有效的图片"


class AttachmentRefused(ValueError):
    """The file cannot be attached: `status` is 413 (too large) or 415 (not a supported type)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def sniff(head: bytes) -> Optional[str]:
    """The content type the first bytes say, for the four accepted types; None otherwise."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def safe_name(name: str, content_type: str) -> str:
    """A file name to show and to offer for download: no path, no control characters, and the
    extension of what the file really is."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", base).strip(" .")[:80] or "附件"
    return base + EXTENSIONS[content_type]


def _reencode(data: bytes, content_type: str) -> bytes:
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise AttachmentRefused(413, "图片尺寸过大")
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
            if content_type == JPEG and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            options = {"quality": 90} if content_type in (JPEG, WEBP) else {}
            image.save(out, format=PIL_FORMATS[content_type], **options)  # no exif= : none is written
            return out.getvalue()
    except AttachmentRefused:
        raise
    except Exception as exc:  # Pillow raises many kinds for a broken or hostile file
        raise AttachmentRefused(415, BROKEN) from exc


def clean(data: bytes, name: str) -> CleanFile:
    """The file as it will be stored, or AttachmentRefused."""
    if len(data) > MAX_BYTES:
        raise AttachmentRefused(413, TOO_LARGE)
    content_type = sniff(data[:16])
    if content_type is None:
        raise AttachmentRefused(415, UNSUPPORTED)
    if content_type != PDF:
        data = _reencode(data, content_type)
    return CleanFile(safe_name(name, content_type), content_type, data)
