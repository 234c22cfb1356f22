"""Attachments (申请材料): validated by type, size and checksum, stored under MEDIA_ROOT."""

from __future__ import annotations

from typing import BinaryIO

from django.db import transaction

from safetynet.audit.services import audit_record
from safetynet.cases.access import assert_actor_on_case, case_lock
from safetynet.cases.errors import InvalidAttachment
from safetynet.cases.models import Attachment
from safetynet.core import uploads

MAX_BYTES = uploads.MAX_BYTES


def attachment_upload(
    *, case_id: int, actor, stream: BinaryIO, original_name: str, declared_type: str = "",
    declared_sha256: str = "", kind: str = "",
) -> Attachment:
    staged = uploads.stage_upload(stream, folder="cases", error=InvalidAttachment, code_prefix="case.attachment",
                                  declared_type=declared_type, declared_sha256=declared_sha256)
    try:
        with transaction.atomic():
            case = case_lock(case_id=case_id)
            assert_actor_on_case(case=case, actor=actor)
            att = Attachment.objects.create(
                case=case, kind=kind, original_name=original_name[:200], path=staged.relative_path,
                sha256=staged.sha256, size=staged.size, content_type=staged.content_type, uploaded_by=actor,
            )
            audit_record(actor=actor, action="case.attachment", target=case,
                         data={"attachment_id": att.pk, "sha256": staged.sha256, "size": staged.size})
            staged.keep()
        return att
    finally:
        staged.discard()
