"""The scan on a hand-built world: every planted kind found with its evidence, nothing else."""

import pytest

from safetynet.core.crypto import blind_index
from safetynet.supervision.models import Anomaly, AnomalyStatus, Kind
from safetynet.supervision.tasks import engine_findings, gather, supervise_run
from safetynet.supervision.tests.conftest import ON


def _found(world):
    return {(a.kind, a.household.number if a.household else None) for a in Anomaly.objects.all()}


def test_scan_finds_each_planted_kind_and_nothing_else(world):
    # when
    result = supervise_run(on=ON, actor=world.supervisor)
    # then: exactly the planted findings (the released prisoner and the related households stay quiet)
    h, p = world.households, world.people
    # (subjects are blind indexes: the lake and the scan never see a number in the clear)
    subjects = {(a.kind, a.fingerprint.split(":", 1)[1]) for a in Anomaly.objects.all()}
    assert subjects == {
        (Kind.PAID_DECEASED, p["dead"].id_number_index),
        (Kind.PAID_IMPRISONED, p["prisoner"].id_number_index),
        (Kind.PAID_PUBLIC_PAYROLL, p["payroll"].id_number_index),
        (Kind.DUPLICATE_BENEFIT, p["dup"].id_number_index),
        (Kind.EXCLUSIVE_PROGRAMMES, p["dup"].id_number_index),
        (Kind.STAFF_RELATIVE, p["staffer"].id_number_index),
        (Kind.SHARED_ACCOUNT, blind_index("6222020000001111", "account")),
    }
    assert result["opened"] == 7
    dead = Anomaly.objects.get(kind=Kind.PAID_DECEASED)
    (ev,) = dead.evidence
    assert (ev["source"], ev["row"], ev["date"], ev["household_number"]) == ("hukou_deaths", 1, "2026-05-03",
                                                                            h["dead"].number)
    assert ev["batch"].startswith("hukou_deaths-")
    assert dead.assigned_to == world.supervisor and dead.status == AnomalyStatus.OPEN
    shared = Anomaly.objects.get(kind=Kind.SHARED_ACCOUNT)
    assert sorted(e["household_number"] for e in shared.evidence) == sorted([h["dead"].number, h["prison"].number])
    dup = Anomaly.objects.get(kind=Kind.DUPLICATE_BENEFIT)
    assert {(e["household_number"], e["source"]) for e in dup.evidence} == {
        (h["dup_a"].number, "benefits"), (h["dup_b"].number, "benefits")}


def test_a_second_scan_refreshes_instead_of_duplicating(world):
    supervise_run(on=ON)
    again = supervise_run(on=ON)
    assert (again["opened"], again["refreshed"]) == (0, 7)
    assert Anomaly.objects.count() == 7


@pytest.mark.django_db(transaction=True)
def test_duckdb_and_spark_find_the_same(world):
    inputs = gather(ON)
    duck = engine_findings(on=ON, inputs=inputs, backend="duckdb")
    spark = engine_findings(on=ON, inputs=inputs, backend="spark")
    assert duck.num_rows == 10  # 1 death, 1 prison, 1 payroll, 2+2 duplicate and overlap rows, 1 staff, 2 accounts
    assert duck.to_pylist() == spark.to_pylist()
