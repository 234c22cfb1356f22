"""Writes of the public side: complaints and reports (接诉即办) and service windows.

Anyone may file (``actor`` is ``None`` for an anonymous member of the public, recorded as the
system); staff move a complaint through :data:`~safetynet.portal.complaints.TRANSITIONS`; overdue
ones are escalated one region level up by :func:`complaint_escalate_overdue` (a scheduled job).
Every change writes its audit event and its step in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core.calendar import deadline_after_working_days
from safetynet.core.masking import mask_phone
from safetynet.core.permissions import Action, require
from safetynet.portal.attachments import attachment_store
from safetynet.portal.complaints import CATEGORIES, ESCALATION_DAYS, TRANSITIONS
from safetynet.portal.errors import (
    ComplaintIllegalTransition,
    ComplaintNotFound,
    InvalidComplaint,
    OutcomeRequired,
)
from safetynet.portal.models import Complaint, ComplaintEvent, ComplaintStatus, Outcome, ServiceWindow
from safetynet.portal.selectors import complaint_queue_for_user, region_public_get, region_up_to_level
from safetynet.regions.models import Level

MAX_SUBJECT = 100
MAX_BODY = 2000
MAX_REPLY = 2000
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _tracking_number(now: dt.datetime) -> str:
    """``TS20261129-7K3QH2XA``: the date, then eight random characters, unguessable enough that
    the number alone may show the outcome."""
    tail = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"TS{timezone.localdate(now):%Y%m%d}-{tail}"


def _event(complaint: Complaint, *, kind: str, text: str, actor=None, public: bool = True, at=None) -> None:
    seq = (complaint.events.aggregate(m=Max("seq"))["m"] or 0) + 1
    ComplaintEvent.objects.create(
        complaint=complaint, seq=seq, at=at or timezone.now(), kind=kind, text=text, public=public, actor=actor
    )


def _clean_phone(phone: str) -> str:
    digits = phone.replace(" ", "").replace("-", "")
    if digits and not (digits.isdigit() and 7 <= len(digits) <= 12):
        raise InvalidComplaint(_("联系电话应为 7 到 12 位数字"), field="reporter_phone")
    return digits


def complaint_file(
    *,
    category: str,
    region_code: str,
    subject: str,
    body: str,
    anonymous: bool,
    reporter_name: str = "",
    reporter_phone: str = "",
    attachment: BinaryIO | None = None,
    actor=None,
    now: dt.datetime | None = None,
) -> Complaint:
    """File a complaint or report and return it with its tracking number. It is routed to the
    region that answers its category and given that category's deadline in working days."""
    rule = CATEGORIES.get(category)
    if rule is None:
        raise InvalidComplaint(_("请选择反映的类别"), field="category")
    subject, body = subject.strip(), body.strip()
    if not subject or len(subject) > MAX_SUBJECT:
        raise InvalidComplaint(_("标题不能为空，最多 %(n)d 字") % {"n": MAX_SUBJECT}, field="subject")
    if len(body) < 5 or len(body) > MAX_BODY:
        raise InvalidComplaint(_("请用 5 到 %(n)d 字说明情况") % {"n": MAX_BODY}, field="body")
    reporter_name, reporter_phone = reporter_name.strip(), _clean_phone(reporter_phone.strip())
    if anonymous:
        reporter_name = reporter_phone = ""
    elif not reporter_name or not reporter_phone:
        raise InvalidComplaint(_("实名反映请留下姓名和联系电话，或选择匿名"), field="reporter_name")
    if len(reporter_name) > 64:
        raise InvalidComplaint(_("姓名最多 64 字"), field="reporter_name")
    region = region_public_get(code=region_code)
    handling = region_up_to_level(region=region, level=rule.level)
    stored = attachment_store(attachment) if attachment is not None else None
    now = now or timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                complaint = Complaint.objects.create(
                    number=_tracking_number(now),
                    kind=rule.kind,
                    category=category,
                    region=region,
                    handling_region=handling,
                    subject=subject,
                    body=body,
                    anonymous=anonymous,
                    reporter_name=reporter_name,
                    reporter_phone=reporter_phone,
                    attachment_path=stored.path if stored else "",
                    attachment_sha256=stored.sha256 if stored else "",
                    attachment_type=stored.content_type if stored else "",
                    attachment_size=stored.size if stored else 0,
                    due_at=deadline_after_working_days(now, rule.days),
                )
                _event(
                    complaint,
                    kind="filed",
                    at=now,
                    text=_("已登记，转%(region)s办理，%(days)d 个工作日内答复")
                    % {"region": handling.name, "days": rule.days},
                )
                audit_record(
                    actor=actor,
                    action="portal.complaint_file",
                    target=complaint,
                    data={"category": category, "handling_region": handling.code, "anonymous": anonymous},
                )
                return complaint
        except IntegrityError as e:
            # A tracking number drawn twice (vanishingly rare): draw again.
            if "number" not in str(e).lower():
                raise
    raise InvalidComplaint(_("暂时无法生成受理编号，请重试"))


def _lock(complaint_id: int) -> Complaint:
    complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if complaint is None:
        raise ComplaintNotFound(_("未找到该投诉举报"), complaint_id=complaint_id)
    return complaint


def _in_scope(complaint: Complaint, actor) -> None:
    if not complaint_queue_for_user(user=actor).filter(pk=complaint.pk).exists():
        raise ComplaintNotFound(_("未找到该投诉举报，或不在您的管辖范围内"), complaint_id=complaint.pk)


def _move(complaint: Complaint, to: str) -> None:
    if to not in TRANSITIONS[complaint.status]:
        raise ComplaintIllegalTransition(
            _("当前状态（%(s)s）不能办理此操作") % {"s": complaint.get_status_display()},
            status=complaint.status,
            to=to,
        )


@transaction.atomic
def complaint_start(*, complaint_id: int, actor) -> Complaint:
    """The answering office takes the complaint up (办理中). Idempotent for the same step."""
    require(actor, Action.COMPLAINT_HANDLE)
    complaint = _lock(complaint_id)
    _in_scope(complaint, actor)
    if complaint.status == ComplaintStatus.IN_PROGRESS:
        return complaint
    _move(complaint, ComplaintStatus.IN_PROGRESS)
    complaint.status = ComplaintStatus.IN_PROGRESS
    complaint.handled_by = actor
    complaint.save(update_fields=["status", "handled_by", "updated_at"])
    _event(complaint, kind="started", text=_("承办单位已开始办理"), actor=actor)
    audit_record(actor=actor, action="portal.complaint_start", target=complaint)
    return complaint


@transaction.atomic
def complaint_answer(*, complaint_id: int, actor, outcome: str, reply: str) -> Complaint:
    """Answer the complaint: the outcome and a reply in plain words, shown on the tracking page."""
    require(actor, Action.COMPLAINT_HANDLE)
    complaint = _lock(complaint_id)
    _in_scope(complaint, actor)
    reply = reply.strip()
    if outcome not in Outcome.values or not reply:
        raise OutcomeRequired(_("请选择办理结果并填写答复"), field="reply")
    if len(reply) > MAX_REPLY:
        raise OutcomeRequired(_("答复最多 %(n)d 字") % {"n": MAX_REPLY}, field="reply")
    if complaint.status == ComplaintStatus.ANSWERED and complaint.outcome == outcome and complaint.reply == reply:
        return complaint
    _move(complaint, ComplaintStatus.ANSWERED)
    now = timezone.now()
    complaint.status = ComplaintStatus.ANSWERED
    complaint.outcome, complaint.reply = outcome, reply
    complaint.answered_at = now
    complaint.answered_late = now > complaint.due_at
    complaint.handled_by = actor
    complaint.save(
        update_fields=["status", "outcome", "reply", "answered_at", "answered_late", "handled_by", "updated_at"]
    )
    _event(complaint, kind="answered", text=Outcome(outcome).label, actor=actor)
    audit_record(actor=actor, action="portal.complaint_answer", target=complaint, data={"outcome": outcome})
    return complaint


def complaint_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Escalate every open complaint past its deadline one region level up (督办), with a new
    deadline of :data:`ESCALATION_DAYS` working days; at the city it stays and is marked again.
    Each complaint in its own transaction, so one failure does not hold up the rest. Returns the count."""
    now = now or timezone.now()
    ids = list(
        Complaint.objects.exclude(status=ComplaintStatus.ANSWERED).filter(due_at__lt=now).values_list("pk", flat=True)
    )
    done = 0
    for complaint_id in ids:
        with transaction.atomic():
            complaint = _lock(complaint_id)
            if complaint.status == ComplaintStatus.ANSWERED or complaint.due_at >= now:
                continue
            handling = complaint.handling_region
            if handling.level > Level.CITY and handling.parent_id:
                handling = handling.parent
            complaint.handling_region = handling
            complaint.escalation_level += 1
            complaint.escalated_at = now
            complaint.due_at = deadline_after_working_days(now, ESCALATION_DAYS)
            complaint.save(
                update_fields=["handling_region", "escalation_level", "escalated_at", "due_at", "updated_at"]
            )
            _event(
                complaint,
                kind="escalated",
                at=now,
                text=_("超过办理时限，已提级由%(region)s督办") % {"region": handling.name},
            )
            audit_record(
                actor=None,
                action="portal.complaint_escalate",
                target=complaint,
                data={"handling_region": handling.code, "level": complaint.escalation_level},
            )
            done += 1
    return done


@transaction.atomic
def complaint_reporter_reveal(*, complaint_id: int, actor, purpose: str) -> dict[str, Any]:
    """The reporter's name and phone, for a supervisor who states why; audited."""
    require(actor, Action.COMPLAINT_REPORTER_VIEW)
    purpose = purpose.strip()
    if len(purpose) < 2:
        raise InvalidComplaint(_("查看反映人身份须说明事由"), field="purpose")
    complaint = _lock(complaint_id)
    _in_scope(complaint, actor)
    audit_record(actor=actor, action="portal.complaint_reporter_view", target=complaint, purpose=purpose)
    return {
        "anonymous": complaint.anonymous,
        "name": complaint.reporter_name,
        "phone": complaint.reporter_phone,
        "phone_masked": mask_phone(complaint.reporter_phone) if complaint.reporter_phone else "",
    }


@transaction.atomic
def complaint_attachment_open(*, complaint_id: int, actor) -> tuple[Path, str]:
    """The stored attachment's path and type, for an officer who handles the complaint; audited."""
    require(actor, Action.COMPLAINT_HANDLE)
    complaint = _lock(complaint_id)
    _in_scope(complaint, actor)
    if not complaint.attachment_path:
        raise ComplaintNotFound(_("该投诉举报没有附件"), complaint_id=complaint_id)
    audit_record(actor=actor, action="portal.complaint_attachment_open", target=complaint, purpose="办理投诉举报",
                 data={"sha256": complaint.attachment_sha256})
    return Path(settings.MEDIA_ROOT) / complaint.attachment_path, complaint.attachment_type


@transaction.atomic
def service_window_set(
    *, region_code: str, name: str, address: str, phone: str, hours: str = "", actor=None
) -> ServiceWindow:
    """Create or replace the window of a region (idempotent)."""
    region = region_public_get(code=region_code)
    defaults = {"name": name[:100], "address": address[:200], "phone": phone[:32]}
    if hours:
        defaults["hours"] = hours[:100]
    window, created = ServiceWindow.objects.update_or_create(region=region, defaults=defaults)
    audit_record(
        actor=actor, action="portal.window_set", target=window, data={"region": region.code, "created": created}
    )
    return window
