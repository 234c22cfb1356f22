"""Writes of the payments app: accounts, the roll from generation to approval, bank files, returns,
and what is done about failed payments. Each is one transaction with its audit event.

Batch reads of other apps' tables (cases and their transitions, household members) are done
here set-wise, as verification's bulk run and monitoring do; pages go through the selectors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict

import pyarrow as pa
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.cases.models import Case, CaseTransition, Programme
from safetynet.core.access import get_scoped, scope
from safetynet.core.db import planner_statistics_refresh
from safetynet.core.permissions import Action, require
from safetynet.payments import bankfiles, checks
from safetynet.payments.errors import (
    BankFileNotFound,
    ErrorCode,
    InvalidPaymentInput,
    MakerCheckerViolation,
    PaymentConflict,
    PaymentNotFound,
    ReturnFileInvalid,
)
from safetynet.payments.models import (
    FINAL_STATUSES,
    Bank,
    BankAccount,
    BankFile,
    BankFileFormat,
    HoldReason,
    LineKind,
    Outcome,
    PaymentLine,
    PaymentResult,
    PaymentRoll,
    Resolution,
    ReturnFile,
    RollStatus,
)
from safetynet.payments.payroll import PAYABLE, Timeline, month_end, owed_for_month, to_fen
from safetynet.regions.models import Level, Region, subtree_q
from safetynet.registry.models import Household, Membership, Person

ACCOUNT_RE = re.compile(r"^\d{12,32}$")
INSERT_BATCH = 5000


def parse_month(value: str) -> dt.date:
    try:
        day = dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except (ValueError, AttributeError):
        raise InvalidPaymentInput(_("月份格式应为 YYYY-MM：%(v)s") % {"v": value}, value=value) from None
    return day


# --- bank accounts ------------------------------------------------------------------------------

@transaction.atomic
def bank_account_record(*, household_id: int, holder_id: int, bank: str, account_number: str, actor,
                        opened_on: dt.date | None = None, reason: str = "") -> BankAccount:
    """Register the household's account; an open one is closed first (a correction keeps history)."""
    require(actor, Action.BANK_ACCOUNT_MANAGE)
    household = get_scoped(scope(Household.objects.all(), user=actor), user=actor, pk=household_id)
    number = re.sub(r"\s+", "", account_number or "")
    if bank not in Bank.values:
        raise InvalidPaymentInput(_("未知的开户银行：%(b)s") % {"b": bank}, code=ErrorCode.INVALID_ACCOUNT, bank=bank)
    if not ACCOUNT_RE.match(number):
        raise InvalidPaymentInput(_("银行账号应为 12 至 32 位数字"), code=ErrorCode.INVALID_ACCOUNT)
    holder = Person.objects.filter(pk=holder_id).first()
    if holder is None:
        raise PaymentNotFound(_("未找到户名对应的人员"), code=ErrorCode.ACCOUNT_NOT_FOUND, holder_id=holder_id)
    now = timezone.now()
    previous = BankAccount.objects.select_for_update().filter(household=household, closed_at__isnull=True).first()
    if previous is not None:
        previous.closed_at = now
        previous.closed_reason = (reason or _("更正收款账户"))[:200]
        previous.save(update_fields=["closed_at", "closed_reason", "updated_at"])
    account = BankAccount.objects.create(
        household=household, holder=holder, bank=bank, account_number=number,
        opened_on=opened_on or timezone.localdate(), recorded_by=actor,
    )
    audit_record(actor=actor, action="payments.account_record", target=account,
                 data={"household_id": household.pk, "bank": bank, "account": account.masked,
                       "replaces": previous.pk if previous else None})
    return account


# --- generating a roll ----------------------------------------------------------------------------

def _county(region_id: int, actor) -> Region:
    region = get_scoped(scope(Region.objects.all(), user=actor), user=actor, pk=region_id)
    if region.level != Level.COUNTY:
        raise InvalidPaymentInput(_("发放名册按区县生成，请选择区县：%(n)s") % {"n": region.name},
                                  code=ErrorCode.INVALID_REGION, region=region.code)
    return region


def _timelines(case_ids: list[int]) -> dict[int, Timeline]:
    out = {cid: Timeline(cid) for cid in case_ids}
    rows = (CaseTransition.objects.filter(case_id__in=case_ids).order_by("case_id", "seq")
            .values_list("case_id", "seq", "to_status", "at", "data"))
    for case_id, seq, status, at, data in rows.iterator(chunk_size=20000):
        amount = (data or {}).get("amount_monthly")
        out[case_id].add(at=at, status=status, amount_fen=to_fen(amount) if amount not in (None, "") else None, seq=seq)
    return out


def _members(household_ids: list[int], on: dt.date) -> tuple[pa.Table, dict[int, tuple[int, dt.date]]]:
    hh, pid, ids, registry_deaths = [], [], [], {}
    rows = (Membership.objects.filter(household_id__in=household_ids, joined_on__lte=on, left_on__isnull=True)
            .values_list("household_id", "person_id", "person__id_number_index", "person__death_date"))
    for household_id, person_id, id_number, death_date in rows.iterator(chunk_size=20000):
        hh.append(household_id)
        pid.append(person_id)
        ids.append(id_number)
        if death_date is not None and death_date <= on:
            registry_deaths.setdefault(household_id, (person_id, death_date))
    table = pa.table({"household_id": pa.array(hh, pa.int64()), "person_id": pa.array(pid, pa.int64()),
                      "id_number": pa.array(ids, pa.string())}, schema=checks.MEMBERS_SCHEMA)
    return table, registry_deaths


@transaction.atomic
def roll_generate(*, month: dt.date, programme: str, region_id: int, actor, as_at: dt.datetime | None = None) -> PaymentRoll:
    """The month's regular roll for ``programme`` in the county: every case owed something, each
    line from the approved decision in force, checked against the latest source facts. Running it
    again for the same month returns the roll already made."""
    require(actor, Action.PAYROLL_PREPARE)
    month = month.replace(day=1)
    if programme not in Programme.values:
        raise InvalidPaymentInput(_("未知的救助项目：%(p)s") % {"p": programme}, programme=programme)
    county = _county(region_id, actor)
    existing = PaymentRoll.objects.filter(month=month, programme=programme, region=county, sequence=1).first()
    if existing is not None:
        return existing
    as_at = min(as_at or timezone.now(), month_end(month))
    on = as_at.date()
    in_county = Region.objects.filter(subtree_q(county.path)).values("pk")
    case_rows = list(
        Case.objects.filter(programme=programme, region__in=in_county,
                            pk__in=CaseTransition.objects.filter(to_status__in=PAYABLE).values("case_id"))
        .values_list("pk", "household_id", "applicant_id")
    )
    case_of = {pk: (household_id, applicant_id) for pk, household_id, applicant_id in case_rows}
    previous_rolls = PaymentRoll.objects.filter(programme=programme, region=county, status__in=FINAL_STATUSES)
    first = previous_rolls.order_by("month").values_list("month", flat=True).first()
    covered: dict[tuple[int, dt.date], int] = defaultdict(int)
    for case_id, period, fen in (
        PaymentLine.objects.filter(roll__in=previous_rolls, hold_reason="", case_id__in=list(case_of))
        .values_list("case_id", "period", "amount_fen").iterator(chunk_size=20000)
    ):
        covered[(case_id, period)] += fen
    owed = owed_for_month(timelines=_timelines(list(case_of)).values(), month=month, as_at=as_at, covered=covered,
                          first_roll_month=first)

    households = sorted({case_of[o.case_id][0] for o in owed.lines})
    members, registry_deaths = _members(households, on)
    facts = checks.prepayment_facts(members=members, on=on, month=month)
    holds = checks.holds_by_household(facts, registry_deaths)
    accounts = dict(BankAccount.objects.filter(household_id__in=households, closed_at__isnull=True)
                    .values_list("household_id", "pk"))

    roll = PaymentRoll.objects.create(month=month, programme=programme, region=county, made_by=actor)
    lines = []
    for o in owed.lines:
        household_id, applicant_id = case_of[o.case_id]
        reason, evidence = holds.get(household_id, ("", []))
        account_id = accounts.get(household_id)
        if not reason and account_id is None:
            reason = HoldReason.NO_ACCOUNT
        lines.append(PaymentLine(
            roll=roll, case_id=o.case_id, household_id=household_id, payee_id=applicant_id, account_id=account_id,
            kind=o.kind, period=o.period, amount_fen=o.amount_fen, basis={"decision_seq": o.decision_seq},
            hold_reason=reason, hold_evidence=evidence,
        ))
    PaymentLine.objects.bulk_create(lines, batch_size=INSERT_BATCH)
    roll.summary = {
        "as_at": as_at.isoformat(), "cases_considered": len(case_of), "stopped_cases": owed.stopped,
        "overpaid": [{"case_id": c, "period": p.isoformat(), "fen": f} for c, p, f in owed.overpaid],
        "facts_checked": members.num_rows,
    }
    roll.save(update_fields=["summary", "updated_at"])
    totals = roll_totals(roll)
    audit_record(actor=actor, action="payments.roll_generate", target=roll,
                 data={"month": f"{month:%Y-%m}", "programme": programme, "region": county.code, **totals})
    return roll


def roll_totals(roll: PaymentRoll) -> dict:
    """Lines, held and payable, counted and summed in fen, by the database."""
    lines = PaymentLine.objects.filter(roll=roll)
    total = lines.aggregate(n=Count("id"), fen=Sum("amount_fen"))
    held = lines.exclude(hold_reason="").aggregate(n=Count("id"), fen=Sum("amount_fen"))
    return {"lines": total["n"], "total_fen": total["fen"] or 0, "held": held["n"], "held_fen": held["fen"] or 0,
            "payable": total["n"] - held["n"], "payable_fen": (total["fen"] or 0) - (held["fen"] or 0)}


# --- the roll's road: release holds, submit, approve -----------------------------------------------

def _roll_lock(roll_id: int, actor) -> PaymentRoll:
    roll = get_scoped(scope(PaymentRoll.objects.select_for_update(of=("self",)), user=actor), user=actor, error=PaymentNotFound, pk=roll_id)
    return roll


def _state(roll: PaymentRoll, *allowed: str) -> None:
    if roll.status not in allowed:
        raise PaymentConflict(
            _("名册当前状态为“%(s)s”，不能进行此操作") % {"s": roll.get_status_display()}, status=roll.status
        )


@transaction.atomic
def line_release(*, line_id: int, actor, note: str) -> PaymentLine:
    """A named officer releases a held line of a draft roll after checking the facts."""
    require(actor, Action.PAYROLL_PREPARE)
    line = PaymentLine.objects.select_related("roll").filter(pk=line_id).first()
    if line is None or not scope(PaymentRoll.objects.filter(pk=line.roll_id), user=actor).exists():
        raise PaymentNotFound(_("未找到该发放明细"), code=ErrorCode.LINE_NOT_FOUND, line_id=line_id)
    roll = _roll_lock(line.roll_id, actor)
    _state(roll, RollStatus.DRAFT)
    if not note.strip():
        raise InvalidPaymentInput(_("解除暂缓须说明核实情况"), code=ErrorCode.LINE_IMMUTABLE)
    if not line.hold_reason or line.hold_reason == HoldReason.NO_ACCOUNT:
        raise PaymentConflict(_("该明细未暂缓，或因无收款账户暂缓（请先登记账户）"), code=ErrorCode.LINE_IMMUTABLE)
    before = line.hold_reason
    line.hold_reason, line.released_by, line.released_note = "", actor, note.strip()[:300]
    line.save(update_fields=["hold_reason", "released_by", "released_note"])
    audit_record(actor=actor, action="payments.line_release", target=line, data={"was": before, "note": note})
    return line


@transaction.atomic
def roll_submit(*, roll_id: int, actor) -> PaymentRoll:
    require(actor, Action.PAYROLL_PREPARE)
    roll = _roll_lock(roll_id, actor)
    _state(roll, RollStatus.DRAFT)
    roll.status, roll.submitted_at = RollStatus.SUBMITTED, timezone.now()
    roll.save(update_fields=["status", "submitted_at", "updated_at"])
    audit_record(actor=actor, action="payments.roll_submit", target=roll, data=roll_totals(roll))
    return roll


@transaction.atomic
def roll_approve(*, roll_id: int, actor) -> PaymentRoll:
    """The checker approves: someone other than the maker. From here the lines never change."""
    require(actor, Action.PAYROLL_APPROVE)
    roll = _roll_lock(roll_id, actor)
    _state(roll, RollStatus.SUBMITTED)
    if roll.made_by_id == actor.pk:
        raise MakerCheckerViolation(_("制表人不能复核自己生成的名册，须由另一名工作人员批准"))
    totals = roll_totals(roll)
    roll.status, roll.approved_by, roll.approved_at = RollStatus.APPROVED, actor, timezone.now()
    roll.summary = {**roll.summary, "approved_totals": totals}
    roll.save(update_fields=["status", "approved_by", "approved_at", "summary", "updated_at"])
    audit_record(actor=actor, action="payments.roll_approve", target=roll, data=totals)
    return roll


# --- bank files and returns -------------------------------------------------------------------------

def _details(roll: PaymentRoll) -> dict[str, list[bankfiles.Detail]]:
    by_bank: dict[str, list[bankfiles.Detail]] = defaultdict(list)
    rows = (PaymentLine.objects.filter(roll=roll, hold_reason="").order_by("id")
            .values_list("pk", "account__bank", "account__account_number", "account__holder__name", "amount_fen",
                         "period"))
    for pk, bank, number, name, fen, period in rows.iterator(chunk_size=20000):
        by_bank[bank].append(bankfiles.Detail(f"L{pk:015d}", number, name, fen, roll.programme, period))
    return by_bank


@transaction.atomic
def roll_export(*, roll_id: int, actor, file_format: str = BankFileFormat.DELIMITED) -> list[BankFile]:
    """One bank file per bank for the approved roll's payable lines (held lines stay out)."""
    require(actor, Action.PAYROLL_PREPARE)
    if file_format not in BankFileFormat.values:
        raise InvalidPaymentInput(_("未知的文件格式：%(f)s") % {"f": file_format}, format=file_format)
    roll = _roll_lock(roll_id, actor)
    _state(roll, RollStatus.APPROVED, RollStatus.EXPORTED)
    done = list(BankFile.objects.filter(roll=roll, format=file_format))
    if done:
        return done
    today = timezone.localdate()
    files = []
    for bank, details in sorted(_details(roll).items()):
        if file_format == BankFileFormat.FIXED:
            content = bankfiles.render_fixed(roll_number=roll.number, bank=bank, month=roll.month, details=details,
                                             created=today)
        else:
            content = bankfiles.render_delimited(roll_number=roll.number, bank=bank, month=roll.month, details=details)
        ext = "txt" if file_format == BankFileFormat.FIXED else "csv"
        files.append(BankFile.objects.create(
            roll=roll, bank=bank, format=file_format, filename=f"{roll.number}_{bank}.{ext}", content=content,
            sha256=hashlib.sha256(content).hexdigest(), lines_count=len(details),
            total_fen=sum(d.amount_fen for d in details), created_by=actor,
        ))
    if roll.status == RollStatus.APPROVED:
        roll.status = RollStatus.EXPORTED
        roll.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="payments.roll_export", target=roll,
                 data={"format": file_format, "files": [(f.filename, f.lines_count, f.total_fen, f.sha256) for f in files]})
    return files


@transaction.atomic
def return_import(*, bank_file_id: int, content: bytes, actor) -> ReturnFile:
    """Match every record of the bank's return to the file's lines: all or nothing."""
    require(actor, Action.PAYROLL_PREPARE)
    bank_file = get_scoped(scope(BankFile.objects.select_related("roll"), user=actor), user=actor, error=PaymentNotFound,
                           pk=bank_file_id)
    roll = _roll_lock(bank_file.roll_id, actor)
    digest = hashlib.sha256(content).hexdigest()
    if ReturnFile.objects.filter(sha256=digest).exists():
        raise PaymentConflict(_("该回盘文件已导入过"), code=ErrorCode.RETURN_FILE_DUPLICATE)
    parsed = bankfiles.parse_return(content)
    if parsed.bank_file_name != bank_file.filename:
        raise ReturnFileInvalid(_("回盘文件对应的代发文件是 %(a)s，不是 %(b)s") % {
            "a": parsed.bank_file_name, "b": bank_file.filename})
    if bank_file.format == BankFileFormat.FIXED:
        sent, _n, _t = bankfiles.parse_fixed(bytes(bank_file.content))
    else:
        sent, _n, _t = bankfiles.parse_delimited(bytes(bank_file.content))
    amounts = {d["ref"]: d["amount"] for d in sent}
    refs = [r.ref for r in parsed.rows]
    unknown = sorted(set(refs) - set(amounts))
    missing = sorted(set(amounts) - set(refs))
    if unknown or missing or len(refs) != len(set(refs)):
        raise ReturnFileInvalid(_("回盘明细与代发文件不一致：多出 %(u)d 笔，缺少 %(m)d 笔，或有重复") % {
            "u": len(unknown), "m": len(missing)}, unknown=unknown[:10], missing=missing[:10])
    paid_fen = sum(amounts[r.ref] for r in parsed.rows if r.paid)
    failed_fen = sum(amounts[r.ref] for r in parsed.rows if not r.paid)
    if (paid_fen, failed_fen) != (parsed.paid_fen, parsed.failed_fen):
        raise ReturnFileInvalid(_("回盘尾行金额与明细不符（精确到分）"), paid_fen=paid_fen, failed_fen=failed_fen)
    if PaymentResult.objects.filter(line_id__in=[int(r[1:]) for r in refs]).exists():
        raise PaymentConflict(_("这些明细已有发放结果"), code=ErrorCode.RETURN_FILE_DUPLICATE)
    ret = ReturnFile.objects.create(
        bank_file=bank_file, content=content, sha256=digest, paid_count=parsed.paid_count, paid_fen=paid_fen,
        failed_count=parsed.failed_count, failed_fen=failed_fen, imported_by=actor,
    )
    PaymentResult.objects.bulk_create([
        PaymentResult(line_id=int(r.ref[1:]), return_file=ret, outcome=Outcome.PAID if r.paid else Outcome.FAILED,
                      reason_code="" if r.paid else r.reason_code,
                      reason="" if r.paid else (r.reason or str(bankfiles.FAILURE_REASONS.get(r.reason_code, ""))))
        for r in parsed.rows
    ], batch_size=INSERT_BATCH)
    if not BankFile.objects.filter(roll=roll, returns__isnull=True).exists():
        roll.status = RollStatus.RECONCILED
        roll.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="payments.return_import", target=ret,
                 data={"bank_file": bank_file.filename, "paid": [parsed.paid_count, paid_fen],
                       "failed": [parsed.failed_count, failed_fen]})
    return ret


def _failed_result(line_id: int, actor) -> PaymentResult:
    result = PaymentResult.objects.select_for_update().select_related("line__roll").filter(line__pk=line_id).first()
    if result is None or not scope(PaymentRoll.objects.filter(pk=result.line.roll_id), user=actor).exists():
        raise PaymentNotFound(_("未找到该发放明细的结果"), code=ErrorCode.LINE_NOT_FOUND, line_id=line_id)
    if result.outcome != Outcome.FAILED or result.resolution:
        raise PaymentConflict(_("只有发放失败且尚未处理的明细可以重发或暂缓"), code=ErrorCode.LINE_NOT_FAILED)
    return result


@transaction.atomic
def line_reissue(*, line_id: int, actor, note: str = "") -> PaymentLine:
    """Re-issue a failed payment, as a new line in the month's supplementary roll, to the
    household's account as it is now (corrected after the failure)."""
    require(actor, Action.PAYROLL_PREPARE)
    result = _failed_result(line_id, actor)
    failed = result.line
    account = BankAccount.objects.filter(household_id=failed.household_id, closed_at__isnull=True).first()
    if account is None or account.pk == failed.account_id:
        raise PaymentConflict(_("请先更正该户的收款账户，再重新发放"), code=ErrorCode.INVALID_ACCOUNT)
    original = failed.roll
    roll = (PaymentRoll.objects.select_for_update()
            .filter(month=original.month, programme=original.programme, region_id=original.region_id,
                    sequence__gt=1, status=RollStatus.DRAFT).order_by("sequence").first())
    if roll is None:
        last = (PaymentRoll.objects.filter(month=original.month, programme=original.programme,
                                           region_id=original.region_id).order_by("-sequence").first())
        roll = PaymentRoll.objects.create(month=original.month, programme=original.programme,
                                          region_id=original.region_id, sequence=last.sequence + 1, made_by=actor,
                                          summary={"supplementary": True})
    line = PaymentLine.objects.create(
        roll=roll, case_id=failed.case_id, household_id=failed.household_id, payee_id=failed.payee_id,
        account=account, kind=LineKind.REISSUE, period=failed.period, amount_fen=failed.amount_fen,
        basis={**failed.basis, "reissue_of": failed.reference}, reissue_of=failed,
    )
    result.resolution, result.resolution_note = Resolution.REISSUED, note[:300]
    result.resolved_by, result.resolved_at = actor, timezone.now()
    result.save(update_fields=["resolution", "resolution_note", "resolved_by", "resolved_at"])
    audit_record(actor=actor, action="payments.line_reissue", target=line,
                 data={"failed": failed.reference, "roll": roll.number, "account": account.masked})
    return line


@transaction.atomic
def line_hold_failed(*, line_id: int, actor, note: str) -> PaymentResult:
    """Keep a failed payment back (the household cannot be reached, the case is under review)."""
    require(actor, Action.PAYROLL_PREPARE)
    if not note.strip():
        raise InvalidPaymentInput(_("暂缓发放须说明原因"), code=ErrorCode.LINE_NOT_FAILED)
    result = _failed_result(line_id, actor)
    result.resolution, result.resolution_note = Resolution.HELD, note.strip()[:300]
    result.resolved_by, result.resolved_at = actor, timezone.now()
    result.save(update_fields=["resolution", "resolution_note", "resolved_by", "resolved_at"])
    audit_record(actor=actor, action="payments.line_hold_failed", target=result.line, data={"note": note})
    return result


def payroll_run(*, month: dt.date, actor, programmes: list[str] | None = None) -> list[PaymentRoll]:
    """The month's regular rolls for every county in the actor's region that has cases of a
    programme ever approved (each roll its own transaction; an existing roll is returned as is)."""
    require(actor, Action.PAYROLL_PREPARE)
    wanted = programmes or [p for p in Programme.values if p != Programme.TEMPORARY_ASSISTANCE]
    counties = scope(Region.objects.filter(level=Level.COUNTY), user=actor).order_by("code")
    if actor.region is not None and actor.region.level == Level.COUNTY:
        counties = Region.objects.filter(pk=actor.region_id)
    rolls = []
    for county in counties:
        in_county = Region.objects.filter(subtree_q(county.path)).values("pk")
        present = set(
            Case.objects.filter(region__in=in_county, programme__in=wanted,
                                pk__in=CaseTransition.objects.filter(to_status__in=PAYABLE).values("case_id"))
            .values_list("programme", flat=True).distinct()
        )
        for programme in sorted(present):
            rolls.append(roll_generate(month=month, programme=programme, region_id=county.pk, actor=actor))
    planner_statistics_refresh(PaymentLine)
    return rolls


@transaction.atomic
def bank_file_read(*, bank_file_id: int, actor) -> BankFile:
    """The bank file's bytes hold full account numbers: only preparers fetch it, and every fetch
    is audited."""
    require(actor, Action.PAYROLL_PREPARE)
    bank_file = get_scoped(scope(BankFile.objects.select_related("roll"), user=actor), user=actor,
                           error=BankFileNotFound, pk=bank_file_id)
    audit_record(actor=actor, action="payments.bank_file_read", target=bank_file,
                 purpose="银行代发", data={"filename": bank_file.filename, "sha256": bank_file.sha256})
    return bank_file
