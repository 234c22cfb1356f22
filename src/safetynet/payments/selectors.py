"""Reads of the payments app: rolls in the user's region, their lines, and the reconciliation."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum

from safetynet.core.access import get_scoped, scope
from safetynet.core.permissions import Action, require
from safetynet.payments.errors import BankFileNotFound, PaymentNotFound
from safetynet.payments.models import (
    BankAccount,
    BankFile,
    Outcome,
    PaymentLine,
    PaymentResult,
    PaymentRoll,
    Resolution,
)


def roll_list_for_user(*, user, month=None) -> QuerySet[PaymentRoll]:
    require(user, Action.PAYROLL_READ)
    qs = scope(PaymentRoll.objects.select_related("region", "made_by", "approved_by"), user=user)
    if month is not None:
        qs = qs.filter(month=month)
    return qs.annotate(
        n_lines=Count("lines"), total_fen=Sum("lines__amount_fen"),
        n_held=Count("lines", filter=~Q(lines__hold_reason="")),
    )


def roll_get_for_user(*, user, roll_id: int) -> PaymentRoll:
    require(user, Action.PAYROLL_READ)
    return get_scoped(scope(PaymentRoll.objects.select_related("region", "made_by", "approved_by"), user=user), user=user,
                      error=PaymentNotFound, pk=roll_id)


def roll_lines(*, roll: PaymentRoll, held_only: bool = False) -> QuerySet[PaymentLine]:
    qs = PaymentLine.objects.filter(roll=roll).select_related("household", "payee", "account", "result")
    return qs.exclude(hold_reason="") if held_only else qs


def bank_file_get_for_user(*, user, bank_file_id: int) -> BankFile:
    require(user, Action.PAYROLL_READ)
    return get_scoped(scope(BankFile.objects.select_related("roll"), user=user), user=user, error=BankFileNotFound,
                       pk=bank_file_id)


def accounts_for_household(*, user, household_id: int) -> QuerySet[BankAccount]:
    require(user, Action.PAYROLL_READ)
    return scope(BankAccount.objects.filter(household_id=household_id), user=user)


def _sum(qs) -> int:
    return qs.aggregate(s=Sum("amount_fen"))["s"] or 0


def roll_reconciliation(*, roll: PaymentRoll) -> dict:
    """Every total of the roll, in fen, and whether each identity holds exactly:

    lines = roll (as approved) = bank file + held;  bank file = paid + failed + awaiting return;
    failed = re-issued + held after failure + not yet handled;  re-issued = the re-issue lines.
    """
    lines = PaymentLine.objects.filter(roll=roll)
    lines_fen = _sum(lines)
    held_fen = _sum(lines.exclude(hold_reason=""))
    files = list(BankFile.objects.filter(roll=roll))
    formats = sorted({f.format for f in files})
    # A roll exported in both formats carries the same lines twice: count one format.
    fmt = formats[0] if formats else None
    bank_fen = sum(f.total_fen for f in files if f.format == fmt)
    results = PaymentResult.objects.filter(line__roll=roll)
    paid_fen = results.filter(outcome=Outcome.PAID).aggregate(s=Sum("line__amount_fen"))["s"] or 0
    failed = results.filter(outcome=Outcome.FAILED)
    failed_fen = failed.aggregate(s=Sum("line__amount_fen"))["s"] or 0
    reissued_fen = failed.filter(resolution=Resolution.REISSUED).aggregate(s=Sum("line__amount_fen"))["s"] or 0
    held_after_fen = failed.filter(resolution=Resolution.HELD).aggregate(s=Sum("line__amount_fen"))["s"] or 0
    unresolved_fen = failed.filter(resolution="").aggregate(s=Sum("line__amount_fen"))["s"] or 0
    reissue_lines_fen = _sum(PaymentLine.objects.filter(reissue_of__roll=roll))
    awaiting_fen = _sum(lines.filter(hold_reason="", result__isnull=True)) if files else 0
    approved = (roll.summary or {}).get("approved_totals", {}).get("total_fen")
    figures = {
        "lines_fen": lines_fen, "roll_fen": approved, "bank_file_fen": bank_fen if files else None,
        "held_fen": held_fen, "paid_fen": paid_fen, "failed_fen": failed_fen, "awaiting_return_fen": awaiting_fen,
        "reissued_fen": reissued_fen, "held_after_failure_fen": held_after_fen, "failed_unresolved_fen": unresolved_fen,
        "reissue_lines_fen": reissue_lines_fen, "bank_file_format": fmt,
    }
    checks = {
        "lines_equal_roll": approved is None or lines_fen == approved,
        "lines_equal_bank_plus_held": not files or lines_fen == bank_fen + held_fen,
        "bank_equal_paid_failed_awaiting": not files or bank_fen == paid_fen + failed_fen + awaiting_fen,
        "failed_equal_resolutions": failed_fen == reissued_fen + held_after_fen + unresolved_fen,
        "reissued_equal_reissue_lines": reissued_fen == reissue_lines_fen,
    }
    return {**figures, "checks": checks, "balanced": all(checks.values())}


def line_get_for_user(*, user, line_id: int) -> PaymentLine:
    require(user, Action.PAYROLL_READ)
    rolls = scope(PaymentRoll.objects.all(), user=user).values("pk")
    return get_scoped(PaymentLine.objects.filter(roll__in=rolls), user=user, error=PaymentNotFound, pk=line_id)
