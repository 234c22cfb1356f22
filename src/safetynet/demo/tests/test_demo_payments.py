"""On a small demo city: the month's roll goes from generation to approval, bank file, return file
with failures, re-issue and hold, reconciled to the fen; the scan finds the payment plantings."""

import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from safetynet.core.crypto import blind_index
from safetynet.core.paths import demo_truth_dir
from safetynet.payments.models import LineKind, PaymentLine, PaymentRoll, Resolution, RollStatus
from safetynet.payments.selectors import roll_reconciliation
from safetynet.supervision.evaluation import evaluate
from safetynet.supervision.models import Anomaly, Kind


@pytest.fixture
def city(lake, django_db_blocker):
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("demo", "--no-serve", "--households", "400", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_demo_roll_road_and_plantings(city):
    assert "名册 roll" in city and "监督筛查 supervision" in city
    regular = PaymentRoll.objects.get(sequence=1)
    assert regular.status == RollStatus.RECONCILED
    rec = roll_reconciliation(roll=regular)
    assert rec["balanced"] and rec["failed_fen"] > 0
    assert rec["failed_fen"] == rec["reissued_fen"] + rec["held_after_failure_fen"]
    reissue = PaymentLine.objects.get(kind=LineKind.REISSUE)
    assert reissue.reissue_of.result.resolution == Resolution.REISSUED
    assert reissue.roll.sequence == 2 and reissue.amount_fen == reissue.reissue_of.amount_fen
    truth = pq.read_table(demo_truth_dir() / "planted_payments.parquet").to_pylist()
    kinds = {r["kind"] for r in truth}
    assert {"shared_account", "payment_after_death"} <= kinds
    # findings name accounts and persons by blind index (the scan never sees a number in the clear)
    shared = [blind_index(json.loads(r["detail"])["account_number"], "account") for r in truth
              if r["kind"] == "shared_account"]
    found = {(a.kind, a.fingerprint.split(":", 1)[1]) for a in Anomaly.objects.all()}
    assert {(Kind.SHARED_ACCOUNT, n) for n in shared} <= found
    late = {blind_index(r["id_number"], "id") for r in truth if r["kind"] == "payment_after_death"}
    assert {(Kind.PAID_DECEASED, i) for i in late} <= found
    figures = evaluate(found)["kinds"]
    assert figures["shared_account"]["recall"] == 1.0 and figures["shared_account"]["precision"] == 1.0
