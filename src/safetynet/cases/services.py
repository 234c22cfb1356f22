"""Writes to cases. Every change locks the case row, checks the programme's transitions table,
and commits the new step, its timeline entry, the audit event and the outbox message together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.cases import workflow
from safetynet.cases.access import assert_actor_on_case, case_lock
from safetynet.cases.decisions import decide_for_case
from safetynet.cases.errors import (
    CaseNotFound,
    DecisionUnavailable,
    DuplicateSubmission,
    GuardFailed,
    IllegalTransition,
    InvalidApplication,
    MandateInvalid,
    NotAllowed,
    ReasonRequired,
)
from safetynet.cases.findings import findings_problems
from safetynet.cases.models import (
    CLOSED_STATUSES,
    Appeal,
    Case,
    CaseTransition,
    Channel,
    HomeVisit,
    Objection,
    OutboxChannel,
    Programme,
    ProxyMandate,
    PublicNotice,
    Status,
)
from safetynet.cases.outbox import outbox_enqueue
from safetynet.cases.programmes import CHANNEL_FILERS, PROGRAMMES
from safetynet.cases.texts import APPEAL_HOW_TO, APPLICANT_STEPS
from safetynet.core.inputs import require_date_in_range
from safetynet.core.masking import mask_id_number, mask_name
from safetynet.core.permissions import Action, can
from safetynet.core.roles import SELF_SERVICE_ROLES, Role
from safetynet.registry.models import Household, Membership, Person
from safetynet.verification.models import VerificationReport
from safetynet.verification.services import verification_run

# ---------------------------------------------------------------------------------------------
# Submission


@dataclass(frozen=True)
class Submitted:
    case: Case
    created: bool


def _check_filer(*, channel: str, actor, household: Household, applicant: Person, mandate: ProxyMandate | None,
                 programme: str, source_ref: str) -> None:
    role = workflow.actor_role(actor)
    if role not in CHANNEL_FILERS[channel]:
        raise NotAllowed(
            _("角色“%(r)s”不能通过“%(c)s”渠道提交申请") % {"r": role, "c": Channel(channel).label},
            role=role,
            channel=channel,
        )
    if actor is not None and actor.role not in SELF_SERVICE_ROLES:
        if not household.region.path.startswith(actor.region.path):
            # The same answer as for a household that does not exist (see case_apply).
            raise InvalidApplication(
                _("未找到该家庭，或不在您的管辖范围内"), code="case.household_unknown", household_id=household.pk
            )
    if channel == Channel.ONLINE and actor.person_id != applicant.pk:
        raise NotAllowed(_("网上申请只能由申请人本人提交；代他人申请请使用代办渠道"))
    if channel == Channel.PROXY:
        today = timezone.localdate()
        if (
            mandate is None
            or mandate.grantor_id != applicant.pk
            or mandate.revoked_at is not None
            or mandate.valid_until < today
            or (mandate.programmes and programme not in mandate.programmes)
            or (actor.role == Role.PROXY and mandate.proxy_user_id != actor.pk)
        ):
            raise MandateInvalid(_("代办须有申请人有效的委托书，且委托事项包含该救助项目"))
    if channel in (Channel.ACTIVE_DISCOVERY, Channel.REFERRAL) and not source_ref:
        raise InvalidApplication(_("主动发现或转介的申请须注明预警或转介编号"), code="case.source_ref_required")


def case_submit(
    *,
    programme: str,
    channel: str,
    household_id: int,
    applicant_id: int,
    actor,
    idempotency_key: str | None = None,
    proxy_mandate_id: int | None = None,
    source_ref: str = "",
    emergency: bool = False,
    amount_requested: Decimal | None = None,
    description: str = "",
) -> Submitted:
    """File an application. The same idempotency key from the same filer returns the case the
    first call created, however many times it is retried."""
    if programme not in Programme.values:
        raise InvalidApplication(_("未知的救助项目：%(p)s") % {"p": programme}, code="case.programme_unknown")
    if channel not in Channel.values:
        raise InvalidApplication(_("未知的申请渠道：%(c)s") % {"c": channel}, code="case.channel_unknown")
    filer_id = getattr(actor, "pk", None)
    if idempotency_key:
        existing = _existing_by_key(idempotency_key, filer_id, programme, household_id)
        if existing is not None:
            return Submitted(existing, created=False)
    household = Household.objects.select_related("region").filter(pk=household_id).first()
    if household is None:
        raise InvalidApplication(
            _("未找到该家庭，或不在您的管辖范围内"), code="case.household_unknown", household_id=household_id
        )
    applicant = Person.objects.filter(pk=applicant_id).first()
    if applicant is None or not Membership.objects.filter(
        household=household, person=applicant, left_on__isnull=True
    ).exists():
        raise InvalidApplication(_("申请人须是该家庭的现有成员"), code="case.applicant_not_member")
    mandate = ProxyMandate.objects.filter(pk=proxy_mandate_id).first() if proxy_mandate_id else None
    _check_filer(channel=channel, actor=actor, household=household, applicant=applicant, mandate=mandate,
                 programme=programme, source_ref=source_ref)
    if emergency and not PROGRAMMES[programme].emergency_hours:
        raise InvalidApplication(_("该救助项目不适用先行救助"), code="case.emergency_not_applicable")
    try:
        with transaction.atomic():
            now = timezone.now()
            case = Case(
                programme=programme,
                channel=channel,
                household=household,
                applicant=applicant,
                filed_by=actor,
                proxy_mandate=mandate,
                source_ref=source_ref,
                region=household.region,
                emergency=emergency,
                idempotency_key=idempotency_key or None,
                amount_requested=amount_requested,
                description=description,
                version=1,
            )
            case.due_at = workflow.due_at_on_submit(case=case, at=now)
            case.save(force_insert=True)
            _record(case=case, from_status="", actor=actor, reason=description, data={"channel": channel}, at=now,
                    late=False)
            return Submitted(case, created=True)
    except IntegrityError:
        if idempotency_key:
            existing = _existing_by_key(idempotency_key, filer_id, programme, household_id)
            if existing is not None:
                return Submitted(existing, created=False)
        open_case = Case.objects.filter(household_id=household_id, programme=programme, is_open=True).first()
        raise DuplicateSubmission(
            _("该家庭已有一件在办的%(p)s申请") % {"p": Programme(programme).label},
            code="case.already_open",
            household_id=household_id,
            case_id=open_case.pk if open_case else None,
        ) from None


def _existing_by_key(key: str, filer_id, programme: str, household_id: int) -> Case | None:
    case = Case.objects.filter(idempotency_key=key).first()
    if case is None:
        return None
    if case.filed_by_id != filer_id or case.programme != programme or case.household_id != household_id:
        raise DuplicateSubmission(_("该幂等键已用于另一份申请"), idempotency_key=key)
    return case


# ---------------------------------------------------------------------------------------------
# The one generic mover


def case_transition(*, case_id: int, to: str, actor, reason: str = "") -> Case:
    """Move a case to step ``to`` if its programme's table allows this actor to, now. A plain
    move carries no figures: an amount changes only through the named decisions below
    (:func:`case_approve`, :func:`case_finish_review`, :func:`case_change_amount`)."""
    return _transition(case_id=case_id, to=to, actor=actor, reason=reason, data={}, plain=True)


#: Moves that carry figures or records of their own: only their named service makes them.
_NAMED_TARGETS = frozenset({Status.APPROVED, Status.EMERGENCY_AID, Status.PENDING_CONFIRMATION, Status.APPEALED})
_NAMED_SOURCES = frozenset({Status.APPEALED, Status.PENDING_CONFIRMATION})
_NAMED_MOVES = frozenset({(Status.REVIEW, Status.PUBLIC_NOTICE), (Status.ACTIVE, Status.ACTIVE)})


def _is_named_move(src: str, dst: str) -> bool:
    return dst in _NAMED_TARGETS or src in _NAMED_SOURCES or (src, dst) in _NAMED_MOVES


def _transition(*, case_id: int, to: str, actor, reason: str, data: dict[str, Any], plain: bool = False,
                amount_monthly: Decimal | None = None, stable_household: bool | None = None) -> Case:
    with transaction.atomic():
        case = case_lock(case_id=case_id)
        assert_actor_on_case(case=case, actor=actor)
        return _move(case=case, to=to, actor=actor, reason=reason, data=data, plain=plain,
                     amount_monthly=amount_monthly, stable_household=stable_household)


def _move(*, case: Case, to: str, actor, reason: str, data: dict[str, Any], plain: bool = False,
          amount_monthly: Decimal | None = None, stable_household: bool | None = None) -> Case:
    """The one writer of a case's step. ``data`` is the move's record (and its guards' input);
    only the typed ``amount_monthly`` and ``stable_household`` change the case's own fields."""
    if amount_monthly is not None:
        data = {**data, "amount_monthly": str(amount_monthly)}
    if stable_household is not None:
        data = {**data, "stable_household": stable_household}
    move = workflow.assert_can(case=case, to=to, actor=actor, reason=reason, data=data)
    if plain and _is_named_move(case.status, to):
        raise IllegalTransition(
            _("“%(to)s”须通过对应的办理操作进行（例如批准须核定金额）") % {"to": Status(to).label},
            code="case.named_action_required", from_status=case.status, to_status=to,
        )
    now = timezone.now()
    late = case.due_at is not None and now > case.due_at
    from_status = case.status
    fields = ["status", "version", "due_at", "is_open", "closed_at", "pending_decision", "updated_at"]
    case.status = to
    case.version += 1
    case.is_open = to not in CLOSED_STATUSES
    case.closed_at = None if case.is_open else now
    if amount_monthly is not None:
        case.amount_monthly = amount_monthly
        fields.append("amount_monthly")
    if stable_household is not None:
        case.stable_household = stable_household
        fields.append("stable_household")
    if to == Status.PENDING_CONFIRMATION:
        case.pending_decision = {
            "proposal": data.get("proposal", "refuse"),
            "reasons": list(data.get("reasons") or [reason]),
            "source": data.get("source", ""),
            "proposed_at": now.isoformat(),
        }
    elif from_status == Status.PENDING_CONFIRMATION:
        case.pending_decision = {}
    case.due_at = workflow.due_at_after(case=case, move=move, at=now, data=data)
    case.save(update_fields=fields)
    _record(case=case, from_status=from_status, actor=actor, reason=reason, data=data, at=now, late=late)
    return case


def _record(*, case: Case, from_status: str, actor, reason: str, data: dict[str, Any], at: dt.datetime,
            late: bool) -> None:
    clean = {k: v for k, v in data.items() if not k.startswith("_")}
    CaseTransition.objects.create(
        case=case,
        seq=case.version,
        from_status=from_status,
        to_status=case.status,
        actor=actor,
        actor_role=workflow.actor_role(actor),
        reason=reason,
        data=clean,
        late=late,
        at=at,
    )
    audit_record(
        actor=actor,
        action="case.submit" if not from_status else "case.transition",
        target=case,
        data={"from": from_status, "to": case.status, "seq": case.version, "reason": reason, "data": clean},
    )
    _notify(case=case, reason=reason)


def _notify(*, case: Case, reason: str) -> None:
    # The applicant's message is stored in the outbox and read later: it is written in the
    # platform's language, whatever language the officer who moved the case reads.
    with translation.override(settings.LANGUAGE_CODE):
        where, nxt = (str(text) for text in APPLICANT_STEPS[case.status])
        prog = PROGRAMMES[case.programme]
        adverse = case.status in CLOSED_STATUSES
        payload = {
            "case_id": case.pk,
            "programme": prog.label_zh,
            "status": case.status,
            "where": where,
            "next": "" if adverse else nxt,
            "deadline": (
                _("预计在%(d)s前办结本环节。") % {"d": timezone.localdate(case.due_at).isoformat()}
                if case.due_at and case.is_open and case.status != Status.ACTIVE
                else ""
            ),
            "reason": reason,
            "appeal": str(APPEAL_HOW_TO) if adverse else "",
        }
    template = "case.decision_adverse" if adverse else "case.status_changed"
    phone = Person.objects.filter(pk=case.applicant_id).values_list("phone", flat=True).first() or ""
    outbox_enqueue(channel=OutboxChannel.SMS, recipient=phone, template=template, payload=payload, case=case,
                   idempotency_key=f"case:{case.pk}:{case.version}:sms")
    filer = case.filed_by
    if filer is not None and filer.role in SELF_SERVICE_ROLES:
        outbox_enqueue(channel=OutboxChannel.APP, recipient=f"user:{filer.pk}", template=template, payload=payload,
                       case=case, idempotency_key=f"case:{case.pk}:{case.version}:app")


# ---------------------------------------------------------------------------------------------
# The named steps, each built on the generic mover


def case_accept(*, case_id: int, actor, note: str = "") -> Case:
    return case_transition(case_id=case_id, to=Status.ACCEPTED, actor=actor, reason=note)


def case_not_accept(*, case_id: int, actor, reason: str) -> Case:
    return case_transition(case_id=case_id, to=Status.NOT_ACCEPTED, actor=actor, reason=reason)


def case_grant_emergency_aid(*, case_id: int, actor, amount: Decimal, reason: str) -> Case:
    """先行救助: help now (within 24 hours of filing), verify after."""
    return _transition(case_id=case_id, to=Status.EMERGENCY_AID, actor=actor, reason=reason,
                       data={"amount": str(amount)})


def case_start_verification(*, case_id: int, actor, version: int | None = None) -> VerificationReport:
    """发起经济状况核对: run the household's check and, from acceptance, move the case to the
    verification step. The check runs first, on its own: a refusal (no authorisation in force)
    is audited and leaves the case where it was; a report is evidence even if the move then fails.
    """
    case = Case.objects.select_related("household", "region").filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound(_("未找到该案件"), case_id=case_id)
    assert_actor_on_case(case=case, actor=actor)
    if version is not None and case.version != version:
        raise IllegalTransition(
            _("该案件已被他人办理，当前环节为“%(s)s”。请查看最新情况后再操作。") % {"s": Status(case.status).label},
            code="case.version_stale", from_status=case.status,
        )
    if case.status == Status.ACCEPTED:
        # Refused before the check if the table does not let this actor start verification.
        workflow.assert_can(case=case, to=Status.VERIFICATION, actor=actor)
    elif case.status in CLOSED_STATUSES:
        raise IllegalTransition(_("案件已办结，不能再发起核对"), from_status=case.status)
    report = verification_run(
        actor=actor, household_id=case.household_id,
        purpose=_("%(p)s申请审核（案件 %(id)s）") % {"p": PROGRAMMES[case.programme].label_zh, "id": case.pk},
    )
    with transaction.atomic():
        case = case_lock(case_id=case_id)
        if case.status == Status.ACCEPTED:
            _move(case=case, to=Status.VERIFICATION, actor=actor, reason="", data={"report_id": report.pk})
        else:
            audit_record(actor=actor, action="case.verification", target=case, data={"report_id": report.pk})
    return report


@transaction.atomic
def case_record_visit(
    *, case_id: int, actor, visited_on: dt.date, findings: dict[str, Any], notes: str = "", complete: bool = True
) -> HomeVisit:
    """入户调查: record the findings; ``complete`` moves the case on to review."""
    if not can(actor, Action.CASE_VISIT):
        raise NotAllowed(_("只有社区专干或街道经办人可以记录入户调查"))
    case = case_lock(case_id=case_id)
    assert_actor_on_case(case=case, actor=actor)
    if case.status != Status.HOME_VISIT:
        raise IllegalTransition(_("案件不在入户调查环节"), from_status=case.status)
    problems = findings_problems(findings)
    if problems:
        raise InvalidApplication(
            _("入户调查结论不完整：%(p)s") % {"p": "；".join(problems.values())},
            code="case.visit_findings_required", fields=problems,
        )
    if visited_on > timezone.localdate() or visited_on < timezone.localdate(case.created_at):
        raise InvalidApplication(
            _("调查日期须在申请提交之后、不晚于今天"), code="case.visit_date", fields={"visited_on": _("日期不对")}
        )
    visit = HomeVisit.objects.create(case=case, visitor=actor, visited_on=visited_on, findings=findings, notes=notes)
    audit_record(actor=actor, action="case.visit", target=case, data={"visit_id": visit.pk, "findings": findings})
    if complete:
        _move(case=case, to=Status.REVIEW, actor=actor, reason="", data={"visit_id": visit.pk})
    return visit


@transaction.atomic
def case_open_notice(*, case_id: int, actor) -> PublicNotice:
    """公示: publish the proposal in the community, names and ID numbers masked."""
    case = case_lock(case_id=case_id)
    assert_actor_on_case(case=case, actor=actor)
    _move(case=case, to=Status.PUBLIC_NOTICE, actor=actor, reason="", data={})
    applicant = Person.objects.get(pk=case.applicant_id)
    now = timezone.now()
    days = PROGRAMMES[case.programme].notice_days
    name, id_no = mask_name(applicant.name), mask_id_number(applicant.id_number)
    notice = PublicNotice.objects.create(
        case=case,
        starts_at=now,
        ends_at=now + dt.timedelta(days=days),
        masked_name=name,
        masked_id_number=id_no,
        text=_("拟将%(name)s（身份证号%(id)s）家庭纳入%(prog)s，公示期%(days)d天。如有异议，请向街道（乡镇）反映。")
        % {"name": name, "id": id_no, "prog": PROGRAMMES[case.programme].label_zh, "days": days},
        opened_by=actor,
    )
    audit_record(actor=actor, action="case.notice_open", target=case, data={"notice_id": notice.pk,
                                                                           "ends_at": notice.ends_at.isoformat()})
    return notice


@transaction.atomic
def case_record_objection(*, case_id: int, actor, content: str, raised_by: str = "") -> Objection:
    if not can(actor, Action.CASE_OBJECT):
        raise NotAllowed(_("只有社区专干或街道经办人可以登记公示异议"))
    case = case_lock(case_id=case_id)
    assert_actor_on_case(case=case, actor=actor)
    notice = PublicNotice.objects.filter(case=case).order_by("-starts_at", "-id").first()
    if case.status != Status.PUBLIC_NOTICE or notice is None:
        raise IllegalTransition(_("案件不在公示期，不能登记异议"), from_status=case.status)
    if len((content or "").strip()) < 2:
        raise InvalidApplication(_("请填写异议内容"), code="case.objection_empty")
    objection = Objection.objects.create(notice=notice, raised_by=raised_by, content=content, received_by=actor,
                                         received_at=timezone.now())
    audit_record(actor=actor, action="case.objection", target=case, data={"objection_id": objection.pk})
    return objection


@transaction.atomic
def case_resolve_objection(*, objection_id: int, actor, resolution: str) -> Objection:
    if not can(actor, Action.CASE_RESOLVE_OBJECTION):
        raise NotAllowed(_("只有街道经办人或县级审批人可以处理异议"))
    objection = Objection.objects.select_related("notice").filter(pk=objection_id).first()
    missing = CaseNotFound(_("未找到该异议，或不在您的管辖范围内"), objection_id=objection_id)
    if objection is None:
        raise missing
    case = case_lock(case_id=objection.notice.case_id)
    try:
        assert_actor_on_case(case=case, actor=actor)
    except CaseNotFound:
        raise missing from None
    if len((resolution or "").strip()) < 2:
        raise ReasonRequired(_("请填写异议核实结论"))
    objection.resolution, objection.resolved_by, objection.resolved_at = resolution, actor, timezone.now()
    objection.save(update_fields=["resolution", "resolved_by", "resolved_at"])
    audit_record(actor=actor, action="case.objection_resolve", target=case,
                 data={"objection_id": objection.pk, "resolution": resolution})
    return objection


def case_approve(*, case_id: int, actor, amount_monthly: Decimal, stable_household: bool = False,
                 reason: str = "") -> Case:
    """批准 at ``amount_monthly``. The rules' proposed amount is recorded beside it; an amount that
    differs from the proposal (or one decided without a proposal) needs a reason."""
    with transaction.atomic():
        case = case_lock(case_id=case_id)
        assert_actor_on_case(case=case, actor=actor)
        # The table and its evidence gates first: an illegal approval is refused as such.
        workflow.assert_can(case=case, to=Status.APPROVED, actor=actor, reason=reason,
                            data={"amount_monthly": str(amount_monthly), "stable_household": stable_household})
        try:
            proposed: Decimal | None = decide_for_case(case=case, on=timezone.localdate()).amount_monthly
        except DecisionUnavailable:
            proposed = None
        if proposed != Decimal(str(amount_monthly)) and len((reason or "").strip()) < 2:
            raise ReasonRequired(
                _("核定金额 %(a)s 元与规则测算的 %(p)s 元不同，请写明调整理由")
                % {"a": amount_monthly, "p": proposed if proposed is not None else _("（无测算）")},
                code="case.amount_change_unexplained",
                fields={"reason": _("金额与规则测算不同，须写明理由")},
            )
        return _move(case=case, to=Status.APPROVED, actor=actor, reason=reason,
                     data={"proposed_amount": None if proposed is None else str(proposed)},
                     amount_monthly=amount_monthly, stable_household=stable_household)


def case_refuse(*, case_id: int, actor, reason: str) -> Case:
    """不予批准, with a reason the applicant will read."""
    return case_transition(case_id=case_id, to=Status.REFUSED, actor=actor, reason=reason)


def case_activate(*, case_id: int, actor) -> Case:
    return case_transition(case_id=case_id, to=Status.ACTIVE, actor=actor)


def case_propose_data_decision(*, case_id: int, proposal: str, reasons: list[str], source: str, actor=None) -> Case:
    """Data (verification, rules) says no: park the case for a named officer. Never final."""
    if proposal not in ("refuse", "exit"):
        raise InvalidApplication(_("未知的数据结论类型"), code="case.proposal_unknown")
    if not reasons:
        raise ReasonRequired(_("数据结论须列明理由"))
    return _transition(case_id=case_id, to=Status.PENDING_CONFIRMATION, actor=actor, reason="；".join(reasons),
                       data={"proposal": proposal, "reasons": reasons, "source": source})


def case_confirm_data_decision(*, case_id: int, actor, confirm: bool, reason: str, gradual: bool = False,
                               grace_months: int | None = None) -> Case:
    """人工确认: a named officer confirms the data's refusal/exit, or overrides it; both need a reason."""
    if actor is None:
        raise NotAllowed(_("数据结论须由经办人署名确认"))
    with transaction.atomic():
        case = case_lock(case_id=case_id)
        assert_actor_on_case(case=case, actor=actor)
        if case.status != Status.PENDING_CONFIRMATION:
            raise IllegalTransition(_("案件没有待确认的数据结论"), from_status=case.status)
        proposal = case.pending_decision.get("proposal")
        data: dict[str, Any] = {"confirmed": confirm, "data_reasons": case.pending_decision.get("reasons", [])}
        if proposal == "refuse":
            to = Status.REFUSED if confirm else _override_target(case)
        elif confirm:
            to = Status.GRADUAL_EXIT if gradual else Status.EXITED
            if grace_months:
                data["grace_months"] = grace_months
        else:
            to = Status.ACTIVE
        return _move(case=case, to=to, actor=actor, reason=reason, data=data)


def _override_target(case: Case) -> str:
    for move in PROGRAMMES[case.programme].moves_from(Status.PENDING_CONFIRMATION):
        if "proposal_is_refusal" in move.guards and move.dst != Status.REFUSED:
            return move.dst
    raise IllegalTransition(_("该项目没有配置推翻数据结论后的环节"), from_status=case.status)


@transaction.atomic
def case_appeal(*, case_id: int, actor, reason: str) -> Appeal:
    """复查申请 against not-accepted, refused, suspended or exited."""
    if not can(actor, Action.CASE_APPEAL):
        raise NotAllowed(_("当前角色不能提出复查申请"))
    case = case_lock(case_id=case_id)
    assert_actor_on_case(case=case, actor=actor)
    against = case.status
    _move(case=case, to=Status.APPEALED, actor=actor, reason=reason, data={"against": against})
    appeal = Appeal.objects.create(case=case, against_status=against, reason=reason, filed_by=actor,
                                   filed_at=timezone.now())
    return appeal


@transaction.atomic
def case_decide_appeal(*, case_id: int, actor, rereview: bool, reason: str) -> Case:
    case = case_lock(case_id=case_id)
    assert_actor_on_case(case=case, actor=actor)
    appeal = Appeal.objects.filter(case=case, decided_at__isnull=True).order_by("-filed_at", "-id").first()
    if case.status != Status.APPEALED or appeal is None:
        raise IllegalTransition(_("案件没有待处理的复查申请"), from_status=case.status)
    to = Status.REVIEW if rereview else appeal.against_status
    if to == Status.SUSPENDED:
        raise GuardFailed(_("维持暂停决定请直接驳回复查后恢复暂停"), code="case.appeal_mismatch")
    _move(case=case, to=to, actor=actor, reason=reason, data={"appeal_id": appeal.pk, "rereview": rereview})
    appeal.outcome = "rereview" if rereview else "upheld"
    appeal.decided_by, appeal.decided_at = actor, timezone.now()
    appeal.save(update_fields=["outcome", "decided_by", "decided_at"])
    return case


def case_start_review(*, case_id: int, actor) -> Case:
    return case_transition(case_id=case_id, to=Status.PERIODIC_REVIEW, actor=actor)


def case_finish_review(*, case_id: int, actor, amount_monthly: Decimal | None = None,
                       stable_household: bool | None = None, reason: str = "") -> Case:
    return _transition(case_id=case_id, to=Status.ACTIVE, actor=actor, reason=reason, data={},
                       amount_monthly=amount_monthly, stable_household=stable_household)


def case_change_amount(*, case_id: int, actor, amount_monthly: Decimal, reason: str) -> Case:
    return _transition(case_id=case_id, to=Status.ACTIVE, actor=actor, reason=reason, data={},
                       amount_monthly=amount_monthly)


def case_suspend(*, case_id: int, actor, reason: str) -> Case:
    return case_transition(case_id=case_id, to=Status.SUSPENDED, actor=actor, reason=reason)


def case_exit(*, case_id: int, actor, reason: str, gradual: bool = False, grace_months: int | None = None) -> Case:
    """退出; ``gradual`` starts 渐退 (the benefit continues for the grace period) where the
    programme has it, e.g. when income rose through work."""
    if gradual:
        data = {"grace_months": grace_months} if grace_months else {}
        return _transition(case_id=case_id, to=Status.GRADUAL_EXIT, actor=actor, reason=reason, data=data)
    return case_transition(case_id=case_id, to=Status.EXITED, actor=actor, reason=reason)


@transaction.atomic
def mandate_record(
    *, grantor_id: int, proxy_name: str, relationship: str, valid_until: dt.date, actor,
    proxy_user_id: int | None = None, programmes: list[str] | None = None, evidence_id: int | None = None,
) -> ProxyMandate:
    """委托代办: recorded by staff, who saw the signed mandate (the evidence attachment)."""
    if not can(actor, Action.CASE_PROXY_APPLY):
        raise NotAllowed(_("只有社区专干或街道经办人可以登记代办委托"))
    grantor = Person.objects.select_related("residence_region").filter(pk=grantor_id).first()
    if grantor is None or not grantor.residence_region.path.startswith(actor.region.path):
        raise InvalidApplication(_("未找到委托人，或不在您的管辖范围内"), code="case.grantor_unknown")
    if valid_until < timezone.localdate():
        raise MandateInvalid(_("委托有效期已过"))
    require_date_in_range(valid_until, field="valid_until")
    unknown = set(programmes or []) - set(Programme.values)
    if unknown:
        raise InvalidApplication(_("未知的救助项目：%(p)s") % {"p": ", ".join(sorted(unknown))},
                                 code="case.programme_unknown")
    if not proxy_name.strip() or not relationship.strip():
        raise InvalidApplication(_("须填写受托人姓名及与委托人关系"), code="case.mandate_incomplete")
    mandate = ProxyMandate.objects.create(
        grantor=grantor, proxy_user_id=proxy_user_id, proxy_name=proxy_name, relationship=relationship,
        programmes=programmes or [], valid_until=valid_until, evidence_id=evidence_id, recorded_by=actor,
    )
    audit_record(actor=actor, action="case.mandate_record", target=mandate,
                 data={"grantor_id": grantor_id, "proxy_user_id": proxy_user_id, "relationship": relationship})
    return mandate
