"""Attachments (申请材料): validated by type, size and checksum, stored under MEDIA_ROOT."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.cases.access import assert_actor_on_case, case_lock
from safetynet.cases.errors import InvalidAttachment
from safetynet.cases.models import Attachment

MAX_BYTES = 10 * 1024 * 1024
#: What the content must start with, whatever the client claims it is.
SIGNATURES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", "pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
}


def _sniff(head: bytes) -> tuple[str, str] | None:
    for content_type, (magic, ext) in SIGNATURES.items():
        if head.startswith(magic):
            return content_type, ext
    return None


def _store(stream: BinaryIO) -> tuple[Path, str, int, str, str]:
    """Copy the upload to a temporary file beside its final place, hashing as it goes."""
    root = Path(settings.MEDIA_ROOT) / "cases"
    root.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp = tempfile.mkstemp(dir=root, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(64 * 1024):
                if not head:
                    head = chunk[:16]
                size += len(chunk)
                if size > MAX_BYTES:
                    raise InvalidAttachment(_("文件超过10MB"), code="case.attachment_too_large", limit=MAX_BYTES)
                digest.update(chunk)
                out.write(chunk)
        sniffed = _sniff(head)
        if sniffed is None:
            raise InvalidAttachment(_("只接受 PDF、JPG、PNG 文件"), code="case.attachment_type")
        return Path(tmp), digest.hexdigest(), size, *sniffed
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def attachment_upload(
    *, case_id: int, actor, stream: BinaryIO, original_name: str, declared_type: str = "",
    declared_sha256: str = "", kind: str = "",
) -> Attachment:
    tmp, sha, size, content_type, ext = _store(stream)
    try:
        if size == 0:
            raise InvalidAttachment(_("文件为空"), code="case.attachment_empty")
        if declared_type and declared_type != content_type:
            raise InvalidAttachment(
                _("文件内容（%(real)s）与声明的类型（%(decl)s）不符") % {"real": content_type, "decl": declared_type},
                code="case.attachment_type",
            )
        if declared_sha256 and declared_sha256.lower() != sha:
            raise InvalidAttachment(_("文件校验值不符，请重新上传"), code="case.attachment_checksum")
        relative = Path("cases") / sha[:2] / f"{sha}.{ext}"
        final = Path(settings.MEDIA_ROOT) / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        with transaction.atomic():
            case = case_lock(case_id=case_id)
            assert_actor_on_case(case=case, actor=actor)
            att = Attachment.objects.create(
                case=case, kind=kind, original_name=original_name[:200], path=str(relative), sha256=sha, size=size,
                content_type=content_type, uploaded_by=actor,
            )
            audit_record(actor=actor, action="case.attachment", target=case,
                         data={"attachment_id": att.pk, "sha256": sha, "size": size})
            # Content-addressed: the same file uploaded twice is stored once.
            os.replace(tmp, final)
        return att
    finally:
        tmp.unlink(missing_ok=True)
