"""A complaint's optional attachment (证据材料): checked by content, size and checksum as case
attachments are, and stored content-addressed under ``MEDIA_ROOT/portal``. The public limit is
smaller than the staff one (anyone may upload here)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from safetynet.portal.errors import ErrorCode, InvalidAttachment

MAX_BYTES = 5 * 1024 * 1024
#: What the content must start with, whatever the client claims it is.
SIGNATURES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", "pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
}


@dataclass(frozen=True)
class StoredFile:
    path: str
    sha256: str
    size: int
    content_type: str


def _sniff(head: bytes) -> tuple[str, str] | None:
    for content_type, (magic, ext) in SIGNATURES.items():
        if head.startswith(magic):
            return content_type, ext
    return None


def attachment_store(stream: BinaryIO) -> StoredFile:
    """Copy the upload to a temporary file, hashing and checking it, then move it to its
    content-addressed place. A refused file leaves nothing behind."""
    root = Path(settings.MEDIA_ROOT) / "portal"
    root.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp_name = tempfile.mkstemp(dir=root, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(64 * 1024):
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                size += len(chunk)
                if size > MAX_BYTES:
                    raise InvalidAttachment(
                        _("附件超过 5MB"), code=ErrorCode.ATTACHMENT_TOO_LARGE, limit=MAX_BYTES
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidAttachment(_("附件是空文件"), code=ErrorCode.ATTACHMENT_EMPTY)
        sniffed = _sniff(head)
        if sniffed is None:
            raise InvalidAttachment(_("附件只接受 PDF、JPG、PNG 文件"), code=ErrorCode.ATTACHMENT_TYPE)
        content_type, ext = sniffed
        sha = digest.hexdigest()
        relative = Path("portal") / sha[:2] / f"{sha}.{ext}"
        final = Path(settings.MEDIA_ROOT) / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        return StoredFile(path=str(relative), sha256=sha, size=size, content_type=content_type)
    finally:
        tmp.unlink(missing_ok=True)
