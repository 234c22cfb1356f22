"""Evaluation against a ground truth written by hand: a needy family the trigger finds, and a
needy family already on the roll that nothing flags."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from safetynet.core.paths import demo_truth_dir
from safetynet.core.testing import make_household
from safetynet.monitoring.tasks import monitor_run
from safetynet.registry.models import Membership
from safetynet.sources.services import source_ingest

ON = dt.date(2026, 10, 31)
MEDICAL = "id_number,name,reported_on,hospital_name,diagnosis,admitted_on,discharged_on,total_cost,insurance_paid,out_of_pocket"


@pytest.mark.django_db
def test_recall_and_precision_count_exactly_the_flagged_needy(tree, settings, tmp_path):
    settings.LAKE_DIR = tmp_path / "lake"
    # given a family hit by a 12,000 yuan hospital bill (the trigger will flag it), and another
    # family that is needy but already receives 低保
    found = make_household(tree.east_community, members=2)
    served = make_household(tree.east_community, members=2)
    head = Membership.objects.get(household=found, relationship="head").person
    path = tmp_path / "medical.csv"
    path.write_text(f"{MEDICAL}\n{head.id_number},{head.name},2026-10-20,市人民医院,肺炎,2026-10-01,2026-10-15,"
                    "20000,8000,12000\n", encoding="utf-8")
    source_ingest(source_name="medical_expenses", path=path, as_of=dt.date(2026, 10, 20))
    truth = demo_truth_dir()
    truth.mkdir(parents=True)
    pq.write_table(
        pa.table({"household_number": [found.number, served.number], "receiving": ["", "dibao"],
                  "has_elderly": [False, False], "has_disabled": [False, False]}),
        truth / "needy_households.parquet",
    )
    # when monitoring runs with the evaluation
    evaluation = monitor_run(on=ON, evaluate=True)["evaluation"]
    # then both families count as needy, the found one is flagged, and the figures follow
    overall = evaluation["overall"]
    assert overall["needy"] == 2
    assert overall["needy_flagged"] >= 1
    assert overall["recall"] == pytest.approx(overall["needy_flagged"] / 2)
    assert overall["precision"] == pytest.approx(overall["needy_flagged"] / overall["flagged"])
    # and among the needy who receive nothing, the one family is found
    assert (evaluation["not_receiving"]["needy"], evaluation["not_receiving"]["recall"]) == (1, 1.0)
    assert evaluation["truth_households_not_in_registry"] == 0
