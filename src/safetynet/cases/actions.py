"""The one door for every case action (办理操作): web forms, bulk actions and the API.

Each action is a typed value (a discriminated union on ``action``): it carries exactly the
fields that action may change, so an amount can change only through ``approve``,
``finish_review`` or ``change_amount`` and nothing else can touch it. :func:`case_act` checks
the version the caller saw (a stale click is refused under the case's row lock) and calls the
named service that owns the action; the programme's transitions table still decides whether the
move is allowed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from safetynet.cases import services
from safetynet.cases.access import assert_actor_on_case, case_get_visible, case_lock
from safetynet.cases.errors import IllegalTransition, InvalidApplication
from safetynet.cases.models import Case, Status

S = Status
#: A monthly or one-off amount in yuan, exact to the fen.
Amount = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Reason = Annotated[str, Field(max_length=1000)]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The case's version the caller saw; a move on a case changed since is refused.
    version: int | None = Field(None, ge=0)


class Accept(_Action):
    action: Literal["accept"] = "accept"
    note: Reason = ""


class NotAccept(_Action):
    action: Literal["not_accept"] = "not_accept"
    reason: Reason


class EmergencyAid(_Action):
    """先行救助: help now, verify after."""

    action: Literal["emergency_aid"] = "emergency_aid"
    amount: Amount
    reason: Reason


class Advance(_Action):
    """A plain step with no figures of its own: start verification, send to home visit or review,
    put an approved case into payment, resume a suspended one."""

    action: Literal["advance"] = "advance"
    to: Literal["verification", "home_visit", "review", "active", "periodic_review"]
    reason: Reason = ""


class OpenNotice(_Action):
    action: Literal["open_notice"] = "open_notice"


class Approve(_Action):
    action: Literal["approve"] = "approve"
    amount_monthly: Amount
    stable_household: bool = False
    reason: Reason = ""


class Refuse(_Action):
    action: Literal["refuse"] = "refuse"
    reason: Reason


class FinishReview(_Action):
    action: Literal["finish_review"] = "finish_review"
    amount_monthly: Amount | None = None
    stable_household: bool | None = None
    reason: Reason = ""


class ChangeAmount(_Action):
    action: Literal["change_amount"] = "change_amount"
    amount_monthly: Amount
    reason: Reason


class Suspend(_Action):
    action: Literal["suspend"] = "suspend"
    reason: Reason


class Exit(_Action):
    action: Literal["exit"] = "exit"
    reason: Reason
    gradual: bool = False
    grace_months: int | None = Field(None, ge=1, le=24)


class ProposeDataDecision(_Action):
    """An officer records that the data says no; the case waits for a named officer's confirmation."""

    action: Literal["propose_data_decision"] = "propose_data_decision"
    proposal: Literal["refuse", "exit"]
    reasons: list[Reason] = Field(max_length=20)


class ConfirmDataDecision(_Action):
    action: Literal["confirm_data_decision"] = "confirm_data_decision"
    confirm: bool
    reason: Reason
    gradual: bool = False
    grace_months: int | None = Field(None, ge=1, le=24)


class Appeal(_Action):
    action: Literal["appeal"] = "appeal"
    reason: Reason


class DecideAppeal(_Action):
    action: Literal["decide_appeal"] = "decide_appeal"
    rereview: bool
    reason: Reason


CaseAction = Annotated[
    Accept | NotAccept | EmergencyAid | Advance | OpenNotice | Approve | Refuse | FinishReview | ChangeAmount
    | Suspend | Exit | ProposeDataDecision | ConfirmDataDecision | Appeal | DecideAppeal,
    Field(discriminator="action"),
]


def case_act(*, case_id: int, actor, action: CaseAction) -> Case:
    """Carry out ``action`` on the case through the service that owns it, in one transaction."""
    if isinstance(action, Advance) and action.to == S.VERIFICATION:
        # 发起经济状况核对 runs the household's check before the case moves, outside the case's
        # lock: a refusal (no authorisation in force) stays on record, and the case where it was.
        services.case_start_verification(case_id=case_id, actor=actor, version=action.version)
        return case_get_visible(case_id=case_id, user=actor)
    with transaction.atomic():
        case = case_lock(case_id=case_id)
        assert_actor_on_case(case=case, actor=actor)
        if action.version is not None and case.version != action.version:
            raise IllegalTransition(
                _("该案件已被他人办理，当前环节为“%(s)s”。请查看最新情况后再操作。") % {"s": Status(case.status).label},
                code="case.version_stale",
                from_status=case.status,
            )
        _perform(case_id=case_id, actor=actor, action=action)
        case.refresh_from_db()
        return case


def _perform(*, case_id: int, actor, action: Any) -> Any:
    match action:
        case Accept(note=note):
            return services.case_accept(case_id=case_id, actor=actor, note=note)
        case NotAccept(reason=reason):
            return services.case_not_accept(case_id=case_id, actor=actor, reason=reason)
        case EmergencyAid(amount=amount, reason=reason):
            return services.case_grant_emergency_aid(case_id=case_id, actor=actor, amount=amount, reason=reason)
        case Advance(to=to, reason=reason):
            return services.case_transition(case_id=case_id, to=to, actor=actor, reason=reason)
        case OpenNotice():
            return services.case_open_notice(case_id=case_id, actor=actor)
        case Approve(amount_monthly=amount, stable_household=stable, reason=reason):
            return services.case_approve(case_id=case_id, actor=actor, amount_monthly=amount,
                                         stable_household=stable, reason=reason)
        case Refuse(reason=reason):
            return services.case_refuse(case_id=case_id, actor=actor, reason=reason)
        case FinishReview(amount_monthly=amount, stable_household=stable, reason=reason):
            return services.case_finish_review(case_id=case_id, actor=actor, amount_monthly=amount,
                                               stable_household=stable, reason=reason)
        case ChangeAmount(amount_monthly=amount, reason=reason):
            return services.case_change_amount(case_id=case_id, actor=actor, amount_monthly=amount, reason=reason)
        case Suspend(reason=reason):
            return services.case_suspend(case_id=case_id, actor=actor, reason=reason)
        case Exit(reason=reason, gradual=gradual, grace_months=months):
            return services.case_exit(case_id=case_id, actor=actor, reason=reason, gradual=gradual,
                                      grace_months=months)
        case ProposeDataDecision(proposal=proposal, reasons=reasons):
            return services.case_propose_data_decision(case_id=case_id, actor=actor, proposal=proposal,
                                                       reasons=list(reasons), source="manual")
        case ConfirmDataDecision(confirm=confirm, reason=reason, gradual=gradual, grace_months=months):
            return services.case_confirm_data_decision(case_id=case_id, actor=actor, confirm=confirm,
                                                       reason=reason, gradual=gradual, grace_months=months)
        case Appeal(reason=reason):
            return services.case_appeal(case_id=case_id, actor=actor, reason=reason)
        case DecideAppeal(rereview=rereview, reason=reason):
            return services.case_decide_appeal(case_id=case_id, actor=actor, rereview=rereview, reason=reason)
    raise InvalidApplication(_("未知的办理操作"), code="case.action_unknown")


def action_for_move(*, src: str, to: str, reason: str = "", amount: Decimal | None = None,
                    stable_household: bool = False, version: int | None = None) -> CaseAction:
    """The action a page's "move to step ``to``" button stands for, from the case's step ``src``.

    The pages draw one button per allowed move of the transitions table; this names the action
    each button means, so the web goes through the same typed door as the API.
    """
    try:
        return _action_for_move(src=src, to=to, reason=reason, amount=amount, stable_household=stable_household,
                                version=version)
    except ValidationError as e:
        raise InvalidApplication(_("办理操作的内容不完整或有误"), code="case.action_invalid",
                                 errors=[err["msg"] for err in e.errors()]) from e


def _action_for_move(*, src: str, to: str, reason: str, amount: Decimal | None, stable_household: bool,
                     version: int | None) -> CaseAction:
    common: dict[str, Any] = {"version": version}
    if to == S.PUBLIC_NOTICE and src == S.REVIEW:
        return OpenNotice(**common)
    if to == S.APPEALED:
        return Appeal(reason=reason, **common)
    if src == S.APPEALED:
        return DecideAppeal(rereview=to == S.REVIEW, reason=reason, **common)
    if to == S.APPROVED:
        return Approve(amount_monthly=_need_amount(amount), stable_household=stable_household, reason=reason,
                       **common)
    if to == S.EMERGENCY_AID:
        return EmergencyAid(amount=_need_amount(amount), reason=reason, **common)
    if src == to == S.ACTIVE:
        return ChangeAmount(amount_monthly=_need_amount(amount), reason=reason, **common)
    if src == S.PERIODIC_REVIEW and to == S.ACTIVE:
        return FinishReview(amount_monthly=amount, stable_household=stable_household, reason=reason, **common)
    if to == S.PENDING_CONFIRMATION:
        return ProposeDataDecision(proposal="refuse" if src == S.VERIFICATION else "exit",
                                   reasons=[reason] if reason.strip() else [], **common)
    simple = {
        S.ACCEPTED: lambda: Accept(note=reason, **common),
        S.NOT_ACCEPTED: lambda: NotAccept(reason=reason, **common),
        S.REFUSED: lambda: Refuse(reason=reason, **common),
        S.SUSPENDED: lambda: Suspend(reason=reason, **common),
        S.EXITED: lambda: Exit(reason=reason, **common),
        S.GRADUAL_EXIT: lambda: Exit(reason=reason, gradual=True, **common),
    }
    if to in simple:
        return simple[to]()
    return Advance(to=to, reason=reason, **common)


def _need_amount(amount: Decimal | None) -> Decimal:
    if amount is None:
        raise InvalidApplication(_("请填写金额"), code="case.amount_required")
    return amount
