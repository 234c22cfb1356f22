"""On the demo city: the indicators are one engine expression (DuckDB and Spark give the same
matrix and measures), scoring in parts equals scoring whole, and the rules on the bulk population
agree with the single-household path."""

import io
import json

import numpy as np
import pyarrow as pa
import pytest
from django.core.management import call_command

from safetynet.demo.population import REFERENCE_DATE
from safetynet.monitoring import compute
from safetynet.monitoring.compute import monitor_compute
from safetynet.registry.models import Household
from safetynet.registry.selectors import household_members_at
from safetynet.registry.tables import members_at
from safetynet.rules.services import decide_population
from safetynet.verification.compute import PERSONS_SCHEMA, VerificationInput, verify, verify_facts
from safetynet.verification.rules_bridge import decide_from_verification, population_from_verification


@pytest.fixture
def city(lake, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("demo", "--no-serve", "--households", "120", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_duckdb_and_spark_compute_the_same_indicators(city):
    duck = monitor_compute(on=REFERENCE_DATE, backend="duckdb")
    spark = monitor_compute(on=REFERENCE_DATE, backend="spark")
    assert len(duck.household_ids) == 120 and duck.matrix.sum() > 0
    assert np.array_equal(duck.household_ids, spark.household_ids)
    assert np.array_equal(duck.matrix, spark.matrix)
    for name, values in duck.measures.items():
        assert np.allclose(values, spark.measures[name], rtol=0, atol=1e-9), name
    assert duck.triggers == spark.triggers
    assert list(duck.levels) == list(spark.levels)


@pytest.mark.django_db(transaction=True)
def test_the_bulk_population_decides_as_the_single_household_path_does(city):
    # given every member of the demo city and their verified facts
    members = members_at(on=REFERENCE_DATE)
    verified = verify(VerificationInput(persons=members.select(PERSONS_SCHEMA.names), on=REFERENCE_DATE))
    bulk = decide_population(table=population_from_verification(members=members, verified=verified, supporters_on=REFERENCE_DATE), on=REFERENCE_DATE)
    # when the first households are decided one by one from the same facts
    totals = {row["household_id"]: row for row in verified.households.to_pylist()}
    facts: dict[int, dict[int, list[dict]]] = {}
    for f in verified.facts.to_pylist():
        facts.setdefault(f["household_id"], {}).setdefault(f["person_id"], []).append(
            {**f, "detail": json.loads(f["detail"])})
    position = {int(h): i for i, h in enumerate(bulk["household_id"])}
    eligible = 0
    for household in Household.objects.select_related("region").order_by("id")[:60]:
        members = household_members_at(household=household, on=REFERENCE_DATE)
        single = decide_from_verification(household=household, members=members, totals=totals[household.pk],
                                          facts=facts.get(household.pk, {}), on=REFERENCE_DATE)["programmes"]
        # then both say the same about every programme
        i = position[household.pk]
        assert bool(bulk["dibao_eligible"][i]) == single["dibao"]["eligible"], household.number
        assert round(float(bulk["dibao_amount"][i]), 2) == single["dibao"]["amount"], household.number
        eligible += single["dibao"]["eligible"]
    assert eligible > 0


@pytest.mark.django_db(transaction=True)
def test_scoring_the_city_in_parts_gives_the_same_result_as_in_one(city):
    whole = monitor_compute(on=REFERENCE_DATE)
    parts = monitor_compute(on=REFERENCE_DATE, part_households=17)
    assert np.array_equal(whole.household_ids, parts.household_ids) and len(whole.household_ids) == 120
    assert np.array_equal(whole.matrix, parts.matrix)
    assert list(whole.levels) == list(parts.levels)
    assert (whole.af.H, whole.af.M0) == (parts.af.H, parts.af.M0)
    assert whole.triggers == parts.triggers
    for name in whole.decisions:
        assert np.array_equal(whole.decisions[name], parts.decisions[name]), name


@pytest.mark.django_db(transaction=True)
def test_monitoring_gives_the_same_result_whatever_order_its_facts_come_in(city, monkeypatch):
    # given the city's facts in FACT_ORDER, then the same facts in the opposite order
    def facts_in(order: str):
        def read(inp, **kwargs):
            facts = verify_facts(inp, **(kwargs | {"ordered": True}))
            return facts if order == "sorted" else facts.take(pa.array(np.arange(facts.num_rows)[::-1]))
        return read

    results = {}
    for order in ("sorted", "reversed"):
        monkeypatch.setattr(compute, "verify_facts", facts_in(order))
        results[order] = monitor_compute(on=REFERENCE_DATE, since=REFERENCE_DATE.replace(year=REFERENCE_DATE.year - 1))
    # when monitoring scores the city on each, then every result is the same
    ordered, reversed_ = results["sorted"], results["reversed"]
    assert ordered.triggers and ordered.measures["transfers_members"].sum() > 0
    assert np.array_equal(ordered.matrix, reversed_.matrix)
    assert ordered.triggers == reversed_.triggers
    assert list(ordered.levels) == list(reversed_.levels)
    for name, values in ordered.measures.items():
        assert np.allclose(values, reversed_.measures[name], rtol=0, atol=1e-9), name
    for name in ordered.decisions:
        assert np.array_equal(ordered.decisions[name], reversed_.decisions[name]), name
