"""A roll from generation to approval, bank file, return file with failures, re-issue and hold,
reconciled to the fen at every step."""

import csv
import datetime as dt

import pytest
from django.utils import timezone

from safetynet.core.errors import PermissionDenied
from safetynet.payments import bankfiles, selectors, services
from safetynet.payments.errors import ErrorCode
from safetynet.payments.models import (
    BankFile,
    HoldReason,
    LineKind,
    PaymentLine,
    PaymentResult,
    Resolution,
    RollStatus,
)
from safetynet.payments.tests.conftest import active_case, at, month
from safetynet.sources.services import source_ingest


def _this_month() -> dt.date:
    return timezone.now().date().replace(day=1)


def _return_for(bank_file: BankFile, failures: dict[str, str]) -> bytes:
    sent, _n, _t = bankfiles.parse_delimited(bytes(bank_file.content))
    amounts = {d["ref"]: d["amount"] for d in sent}
    results = [(d["ref"], d["ref"] not in failures, failures.get(d["ref"], ""), "") for d in sent]
    return bankfiles.render_return(bank_file_name=bank_file.filename, results=results, amounts=amounts)


def test_roll_road_reconciles_to_the_fen(tree, staff, finance, lake):
    # given: three active cases, two banks; one household without an account
    cases = [active_case(tree, staff, account=f"62220200000000{i:02d}", bank="ICBC" if i < 2 else "CCB")
             for i in range(3)]
    no_account = active_case(tree, staff, account=None)
    # when: the maker generates November's roll
    roll = services.roll_generate(month=_this_month(), programme="dibao", region_id=tree.east.pk,
                                  actor=finance.maker)
    # then: a line per case at the approved 500.00, the one without an account held
    lines = list(PaymentLine.objects.filter(roll=roll).order_by("case_id"))
    assert [(ln.case_id, ln.amount_fen, ln.kind) for ln in lines] == [
        (c.pk, 50000, LineKind.REGULAR) for c in [*cases, no_account]]
    assert [ln.hold_reason for ln in lines] == ["", "", "", HoldReason.NO_ACCOUNT]
    assert services.roll_generate(month=_this_month(), programme="dibao", region_id=tree.east.pk,
                                  actor=finance.maker).pk == roll.pk  # idempotent

    # maker-checker: the maker cannot approve
    services.roll_submit(roll_id=roll.pk, actor=finance.maker)
    with pytest.raises(PermissionDenied) as e:
        services.roll_approve(roll_id=roll.pk, actor=finance.maker)
    assert e.value.code == ErrorCode.SAME_MAKER_CHECKER
    roll = services.roll_approve(roll_id=roll.pk, actor=finance.checker)
    assert roll.status == RollStatus.APPROVED

    files = {f.bank: f for f in services.roll_export(roll_id=roll.pk, actor=finance.maker)}
    assert {b: (f.lines_count, f.total_fen) for b, f in files.items()} == {"ICBC": (2, 100000), "CCB": (1, 50000)}
    rec = selectors.roll_reconciliation(roll=roll)
    assert (rec["lines_fen"], rec["roll_fen"], rec["bank_file_fen"], rec["held_fen"]) == (200000, 200000, 150000, 50000)
    assert rec["balanced"]

    # the ICBC return: one paid, one failed (account closed)
    icbc_lines = sorted(PaymentLine.objects.filter(roll=roll, account__bank="ICBC"), key=lambda x: x.pk)
    failed = icbc_lines[1]
    services.return_import(bank_file_id=files["ICBC"].pk, content=_return_for(files["ICBC"], {failed.reference: "E01"}),
                           actor=finance.maker)
    services.return_import(bank_file_id=files["CCB"].pk, content=_return_for(files["CCB"], {}), actor=finance.maker)
    roll.refresh_from_db()
    assert roll.status == RollStatus.RECONCILED
    assert PaymentResult.objects.get(line=failed).reason == "账户已销户"
    rec = selectors.roll_reconciliation(roll=roll)
    assert (rec["paid_fen"], rec["failed_fen"], rec["failed_unresolved_fen"]) == (100000, 50000, 50000)
    assert rec["balanced"]

    # re-issue refused until the account is corrected; then a new line in a supplementary roll
    with pytest.raises(Exception) as e:
        services.line_reissue(line_id=failed.pk, actor=finance.maker)
    assert e.value.code == ErrorCode.INVALID_ACCOUNT
    services.bank_account_record(household_id=failed.household_id, holder_id=failed.payee_id, bank="ABC",
                                 account_number="6228480000000099", actor=staff.county)
    reissue = services.line_reissue(line_id=failed.pk, actor=finance.maker, note="户主已更换为农行账户")
    assert (reissue.kind, reissue.amount_fen, reissue.reissue_of_id, reissue.roll.sequence) == (
        LineKind.REISSUE, 50000, failed.pk, 2)
    failed.refresh_from_db()
    assert failed.amount_fen == 50000 and failed.account.bank == "ICBC"  # the original line is untouched
    rec = selectors.roll_reconciliation(roll=roll)
    assert (rec["reissued_fen"], rec["reissue_lines_fen"], rec["failed_unresolved_fen"]) == (50000, 50000, 0)
    assert rec["balanced"]
    # every identity, written out: lines = roll = bank + held; bank = paid + failed; failed = reissued + held after
    assert rec["lines_fen"] == rec["roll_fen"] == rec["bank_file_fen"] + rec["held_fen"]
    assert rec["bank_file_fen"] == rec["paid_fen"] + rec["failed_fen"] + rec["awaiting_return_fen"]
    assert rec["failed_fen"] == rec["reissued_fen"] + rec["held_after_failure_fen"]

    # the supplementary roll goes the same road; its return fails again and the line is held
    supp = reissue.roll
    services.roll_submit(roll_id=supp.pk, actor=finance.maker)
    services.roll_approve(roll_id=supp.pk, actor=finance.checker)
    (supp_file,) = services.roll_export(roll_id=supp.pk, actor=finance.maker, file_format="fixed")
    details, count, total = bankfiles.parse_fixed(bytes(supp_file.content))
    assert (count, total, details[0]["amount"]) == (1, 50000, 50000)
    ret = bankfiles.render_return(bank_file_name=supp_file.filename, results=[(reissue.reference, False, "E02", "")],
                                  amounts={reissue.reference: 50000})
    services.return_import(bank_file_id=supp_file.pk, content=ret, actor=finance.maker)
    services.line_hold_failed(line_id=reissue.pk, actor=finance.maker, note="户名不符，待本人到场核实")
    assert PaymentResult.objects.get(line=reissue).resolution == Resolution.HELD
    supp_rec = selectors.roll_reconciliation(roll=supp)
    assert (supp_rec["lines_fen"], supp_rec["failed_fen"], supp_rec["held_after_failure_fen"]) == (50000, 50000, 50000)
    assert supp_rec["balanced"] and selectors.roll_reconciliation(roll=roll)["balanced"]


def test_return_file_must_match_the_bank_file(tree, staff, finance, lake):
    active_case(tree, staff)
    roll = services.roll_generate(month=_this_month(), programme="dibao", region_id=tree.east.pk,
                                  actor=finance.maker)
    services.roll_submit(roll_id=roll.pk, actor=finance.maker)
    services.roll_approve(roll_id=roll.pk, actor=finance.checker)
    (bank_file,) = services.roll_export(roll_id=roll.pk, actor=finance.maker)
    bad = bankfiles.render_return(bank_file_name=bank_file.filename, results=[("L000000000999999", True, "", "")],
                                  amounts={"L000000000999999": 50000})
    with pytest.raises(Exception) as e:
        services.return_import(bank_file_id=bank_file.pk, content=bad, actor=finance.maker)
    assert e.value.code == ErrorCode.RETURN_FILE_INVALID
    with pytest.raises(Exception) as e:
        services.return_import(bank_file_id=bank_file.pk, content=b"nonsense", actor=finance.maker)
    assert e.value.code == ErrorCode.RETURN_FILE_INVALID
    assert not PaymentResult.objects.exists()  # nothing half-imported


def test_lines_are_held_when_a_member_died_per_the_latest_source_facts(tree, staff, finance, lake, tmp_path):
    # given: two active cases; the death registry reports a member of the first as dead
    dead_case = active_case(tree, staff, account="6222020000000001")
    alive_case = active_case(tree, staff, account="6222020000000002")
    member = dead_case.household.memberships.order_by("id").last().person
    path = tmp_path / "deaths.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id_number", "name", "reported_on", "sex", "death_date", "death_place", "hukou_region_code"])
        died = timezone.now().date() - dt.timedelta(days=40)
        w.writerow([member.id_number, member.name, died.isoformat(), member.sex, died.isoformat(), "医院", ""])
    source_ingest(source_name="hukou_deaths", path=path, as_of=died)
    # when
    roll = services.roll_generate(month=_this_month(), programme="dibao", region_id=tree.east.pk,
                                  actor=finance.maker)
    # then: the dead member's household is held with the fact's source, batch and row
    held = PaymentLine.objects.get(roll=roll, case=dead_case)
    assert held.hold_reason == HoldReason.DECEASED
    (ev,) = held.hold_evidence
    assert (ev["source"], ev["row"], ev["person_id"], ev["date"]) == ("hukou_deaths", 1, member.pk, died.isoformat())
    assert ev["batch"].startswith("hukou_deaths-")
    assert PaymentLine.objects.get(roll=roll, case=alive_case).hold_reason == ""
    # a named officer may release it on a draft, with a note; not after approval
    with pytest.raises(Exception) as e:
        services.line_release(line_id=held.pk, actor=finance.maker, note="")
    services.line_release(line_id=held.pk, actor=finance.maker, note="经核实死亡人员已于10月迁出，本户仍符合条件")
    services.roll_submit(roll_id=roll.pk, actor=finance.maker)
    with pytest.raises(Exception) as e:
        services.line_release(line_id=held.pk, actor=finance.maker, note="x")
    assert e.value.code == ErrorCode.ROLL_STATE


def test_arrears_follow_a_previous_roll(tree, staff, finance, lake):
    # given: September's roll exists (one case), a second case approved on 20 September
    active_case(tree, staff, approved_at=at(2026, 8, 1))
    sept = services.roll_generate(month=month(2026, 9), programme="dibao", region_id=tree.east.pk,
                                  actor=finance.maker, as_at=at(2026, 9, 5))
    services.roll_submit(roll_id=sept.pk, actor=finance.maker)
    services.roll_approve(roll_id=sept.pk, actor=finance.checker)
    late = active_case(tree, staff, approved_at=at(2026, 9, 20))
    # when: October's roll is generated
    octo = services.roll_generate(month=month(2026, 10), programme="dibao", region_id=tree.east.pk,
                                  actor=finance.maker, as_at=at(2026, 10, 5))
    # then: the late case gets October and September's arrears
    got = sorted((ln.kind, ln.period) for ln in PaymentLine.objects.filter(roll=octo, case=late))
    assert got == [(LineKind.ARREARS, dt.date(2026, 9, 1)), (LineKind.REGULAR, dt.date(2026, 10, 1))]


def test_only_finance_roles_prepare_rolls(tree, staff, lake):
    with pytest.raises(PermissionDenied):
        services.roll_generate(month=_this_month(), programme="dibao", region_id=tree.east.pk, actor=staff.street)
    with pytest.raises(Exception) as e:
        services.roll_generate(month=_this_month(), programme="dibao", region_id=tree.east_street.pk,
                               actor=staff.county)
    assert e.value.code == ErrorCode.INVALID_REGION
