"""Parameter administration (参数管理), maker-checker: a county approver or an admin proposes a
new value for their region from a date; someone else with the right role over that region
approves or rejects it. Every step is audited; approved values take effect through
:func:`safetynet.rules.services.current_system`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core.inputs import require_date_in_range
from safetynet.core.permissions import Action, require
from safetynet.regions.models import Level, Region
from safetynet.rules.errors import (
    InvalidParameterChange,
    ParameterChangeForbidden,
    ParameterChangeNotPending,
    SelfApprovalRefused,
    UnknownParameter,
)
from safetynet.rules.models import ChangeStatus, ParameterChange
from safetynet.rules.system import regional_parameter_paths


def _check_region_power(*, actor: Any, region: Region, action: str) -> None:
    require(actor, Action.RULES_PARAMETER_CHANGE)
    if actor.region is None or not actor.region.contains(region):
        raise ParameterChangeForbidden(
            _("只能调整本级及下级区划的参数"),
            region=region.code,
            actor_region=getattr(actor.region, "code", None),
        )


@transaction.atomic
def parameter_change_propose(
    *,
    actor: Any,
    path: str,
    region_code: str,
    effective_from: dt.date,
    value: Decimal | float | str,
    reference: str,
    reason: str = "",
) -> ParameterChange:
    if path not in regional_parameter_paths():
        raise UnknownParameter(_("未知参数：%(p)s") % {"p": path}, path=path)
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise InvalidParameterChange(_("区划代码 %(c)s 不存在") % {"c": region_code}, region=region_code)
    if region.level > Level.COUNTY:
        raise InvalidParameterChange(_("参数只能按省、市、县（区）设定"), region=region_code)
    _check_region_power(actor=actor, region=region, action="rules.parameter_change.propose")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidParameterChange(_("数值无效：%(v)s") % {"v": value}, value=str(value)) from exc
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise InvalidParameterChange(_("数值应为非负数"), value=str(value))
    if effective_from < timezone.localdate():
        raise InvalidParameterChange(
            _("生效日期不能早于今天：已发放的待遇不因参数调整而改变"),
            effective_from=effective_from.isoformat(),
        )
    require_date_in_range(effective_from, field="effective_from", years_ahead=5)
    if not reference.strip():
        raise InvalidParameterChange(_("请填写依据文件及条款"), field="reference")
    change = ParameterChange.objects.create(
        path=path,
        region=region,
        effective_from=effective_from,
        value=amount,
        reference=reference.strip(),
        reason=reason,
        proposed_by=actor,
    )
    audit_record(
        actor=actor,
        action="rules.parameter_change.propose",
        target=change,
        data={"path": path, "region": region.code, "effective_from": effective_from, "value": str(amount)},
    )
    return change


def _lock_pending(change_id: int) -> ParameterChange:
    change = ParameterChange.objects.select_for_update().select_related("region").filter(id=change_id).first()
    if change is None:
        raise UnknownParameter(_("未找到该参数调整"), change_id=change_id)
    if change.status != ChangeStatus.PROPOSED:
        raise ParameterChangeNotPending(_("该参数调整已审核，不能再次审核"), status=change.status)
    return change


def _decide(*, change_id: int, actor: Any, status: str, note: str) -> ParameterChange:
    change = _lock_pending(change_id)
    _check_region_power(actor=actor, region=change.region, action=f"rules.parameter_change.{status}")
    if change.proposed_by_id == actor.pk:
        raise SelfApprovalRefused(_("参数调整须由提出人以外的人员审核"), change_id=change.pk)
    change.status = status
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_record(
        actor=actor,
        action=f"rules.parameter_change.{'approve' if status == ChangeStatus.APPROVED else 'reject'}",
        target=change,
        data={"path": change.path, "region": change.region.code, "value": str(change.value), "note": note},
    )
    return change


@transaction.atomic
def parameter_change_approve(*, change_id: int, actor: Any, note: str = "") -> ParameterChange:
    return _decide(change_id=change_id, actor=actor, status=ChangeStatus.APPROVED, note=note)


@transaction.atomic
def parameter_change_reject(*, change_id: int, actor: Any, note: str = "") -> ParameterChange:
    return _decide(change_id=change_id, actor=actor, status=ChangeStatus.REJECTED, note=note)
