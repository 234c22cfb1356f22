"""Reads of the public side: regions and windows for the forms, complaint tracking (public, no
identity), the complaint queue and statistics (staff, region-scoped).

Region names and codes are public reference data, read here without a user; everything about a
complaint that staff read goes through :func:`safetynet.core.access.scope`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.access import get_scoped, scope
from safetynet.core.permissions import Action, require
from safetynet.portal.errors import ComplaintNotFound, RegionUnknown
from safetynet.portal.models import Complaint, ComplaintEvent, ComplaintStatus, ServiceWindow
from safetynet.regions.models import Level, Region
from safetynet.regions.selectors import region_ancestors

#: Who to call when nothing else fits: the government service hotline.
HOTLINE = "12345"


def region_public_get(*, code: str) -> Region:
    region = Region.objects.filter(code=str(code)[:12]).first() if code else None
    if region is None or region.level < Level.COUNTY:
        raise RegionUnknown(_("请选择所在的区（县）或街道（乡镇）"), field="region_code", region_code=str(code)[:12])
    return region


def region_up_to_level(*, region: Region, level: int) -> Region:
    """``region``'s ancestor at ``level`` (itself if it is at or above that level)."""
    if region.level <= level:
        return region
    for ancestor in region_ancestors(region=region):
        if ancestor.level == level:
            return ancestor
    return region


def region_choices() -> list[tuple[str, str]]:
    """Counties and their streets, for the public forms: ``[(code, "东区 · 某街道"), ...]``."""
    rows = (
        Region.objects.filter(level__in=(Level.COUNTY, Level.STREET))
        .select_related("parent")
        .order_by("path")
        .values_list("code", "name", "level", "parent__name")
    )
    out = []
    for code, name, level, parent_name in rows:
        out.append((code, name if level == Level.COUNTY else f"{parent_name} · {name}"))
    return out


def county_list() -> list[Region]:
    return list(Region.objects.filter(level=Level.COUNTY).order_by("code"))


@dataclass(frozen=True)
class Window:
    name: str
    address: str
    phone: str
    hours: str
    region_name: str
    registered: bool


def window_nearest(*, region: Region) -> Window:
    """The window of ``region`` or of its nearest ancestor that has one; failing all, the
    hotline and the street's service centre by name (never a made-up address)."""
    chain = region_ancestors(region=region)
    found = {w.region_id: w for w in ServiceWindow.objects.filter(region__in=chain)}
    for r in reversed(chain):
        if r.pk in found:
            w = found[r.pk]
            return Window(w.name, w.address, w.phone, w.hours, r.name, True)
    street = region_up_to_level(region=region, level=Level.STREET)
    return Window(
        _("%(name)s便民服务中心社会救助窗口") % {"name": street.name},
        _("请向%(name)s便民服务中心询问地址") % {"name": street.name},
        HOTLINE,
        _("工作日"),
        street.name,
        False,
    )


@dataclass(frozen=True)
class TrackingView:
    number: str
    kind: str
    category: str
    status: str
    status_code: str
    filed_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    handling_region: str
    outcome: str
    reply: str
    answered_at: dt.datetime | None
    steps: list[ComplaintEvent]


def complaint_track(*, number: str) -> TrackingView:
    """What the person who filed sees with the tracking number: status, steps, outcome; never the
    reporter's identity nor the officers' names."""
    number = (number or "").strip().upper()[:24]
    complaint = (
        Complaint.objects.select_related("handling_region").filter(number=number).first() if number else None
    )
    if complaint is None:
        raise ComplaintNotFound(_("没有找到这个受理编号，请核对后再查"), number=number)
    steps = list(complaint.events.filter(public=True).order_by("seq"))
    return TrackingView(
        number=complaint.number,
        kind=complaint.get_kind_display(),
        category=complaint.get_category_display(),
        status=complaint.get_status_display(),
        status_code=complaint.status,
        filed_at=complaint.created_at,
        due_at=complaint.due_at,
        overdue=complaint.status != ComplaintStatus.ANSWERED and complaint.due_at < timezone.now(),
        handling_region=complaint.handling_region.name,
        outcome=complaint.get_outcome_display() if complaint.outcome else "",
        reply=complaint.reply,
        answered_at=complaint.answered_at,
        steps=steps,
    )


def complaint_queue_for_user(*, user, status: str | None = None, kind: str | None = None) -> QuerySet[Complaint]:
    """Complaints answered in the user's subtree, most urgent first."""
    require(user, Action.COMPLAINT_HANDLE)
    qs = scope(Complaint.objects.select_related("handling_region", "region"), user=user)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("due_at", "id")


def complaint_get_for_user(*, user, complaint_id: int) -> Complaint:
    require(user, Action.COMPLAINT_HANDLE)
    qs = scope(Complaint.objects.select_related("handling_region", "region", "handled_by"), user=user)
    return get_scoped(qs.prefetch_related("events"), user=user, error=ComplaintNotFound, pk=complaint_id)


@dataclass(frozen=True)
class ComplaintStatistics:
    total: int
    open: int
    overdue: int
    answered: int
    answered_late: int
    escalated: int
    mean_days_to_answer: float | None
    by_category: list[dict]
    by_region: list[dict]
    by_outcome: list[dict]


def complaint_statistics_for_user(*, user, since: dt.date | None = None) -> ComplaintStatistics:
    """Counts for the supervisors: open, overdue, answered on time or late, by category, region
    and outcome, in the user's subtree."""
    require(user, Action.COMPLAINT_STATISTICS)
    qs = scope(Complaint.objects.all(), user=user)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    now = timezone.now()
    open_q = ~Q(status=ComplaintStatus.ANSWERED)
    head = qs.aggregate(
        total=Count("id"),
        open=Count("id", filter=open_q),
        overdue=Count("id", filter=open_q & Q(due_at__lt=now)),
        answered=Count("id", filter=Q(status=ComplaintStatus.ANSWERED)),
        answered_late=Count("id", filter=Q(answered_late=True)),
        escalated=Count("id", filter=Q(escalation_level__gt=0)),
    )
    # The mean in Python: a duration average is not portable between SQLite and PostgreSQL.
    spans = [
        (answered - created).total_seconds()
        for created, answered in qs.filter(status=ComplaintStatus.ANSWERED).values_list("created_at", "answered_at")
    ]
    labels = dict(Complaint._meta.get_field("category").choices)
    outcomes = dict(Complaint._meta.get_field("outcome").choices)
    by_category = [
        {"category": row["category"], "label": str(labels.get(row["category"], row["category"])), **_counts(row)}
        for row in qs.values("category").annotate(**_count_exprs(now)).order_by("category")
    ]
    by_region = [
        {"region": row["handling_region__code"], "label": row["handling_region__name"], **_counts(row)}
        for row in qs.values("handling_region__code", "handling_region__name")
        .annotate(**_count_exprs(now))
        .order_by("handling_region__code")
    ]
    by_outcome = [
        {"outcome": row["outcome"], "label": str(outcomes.get(row["outcome"], "")), "n": row["n"]}
        for row in qs.filter(status=ComplaintStatus.ANSWERED).values("outcome").annotate(n=Count("id")).order_by("outcome")
    ]
    return ComplaintStatistics(
        **head,
        mean_days_to_answer=round(sum(spans) / len(spans) / 86400, 1) if spans else None,
        by_category=by_category,
        by_region=by_region,
        by_outcome=by_outcome,
    )


def _count_exprs(now: dt.datetime) -> dict:
    open_q = ~Q(status=ComplaintStatus.ANSWERED)
    return {
        "n": Count("id"),
        "n_open": Count("id", filter=open_q),
        "n_overdue": Count("id", filter=open_q & Q(due_at__lt=now)),
    }


def _counts(row: dict) -> dict:
    return {"total": row["n"], "open": row["n_open"], "overdue": row["n_overdue"]}
