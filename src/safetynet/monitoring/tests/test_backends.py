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
from safetynet.monitoring import compute, proxies
from safetynet.monitoring.compute import monitor_compute
from safetynet.monitoring.indicators import library
from safetynet.registry.models import Household
from safetynet.registry.selectors import household_members_at
from safetynet.registry.tables import members_at
from safetynet.rules.services import decide_population
from safetynet.verification.compute import (
    FACT_ORDER,
    PERSONS_SCHEMA,
    VerificationInput,
    VerificationOutput,
    verify,
    verify_facts,
    verify_facts_and_households,
)
from safetynet.verification.rules_bridge import (
    MEMBER_ROW,
    decide_from_verification,
    population_from_verification,
)


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
            verified = verify_facts_and_households(inp, **kwargs)
            facts = verified.facts.sort_by([(c, "ascending") for c in FACT_ORDER])
            facts = facts if order == "sorted" else facts.take(pa.array(np.arange(facts.num_rows)[::-1]))
            return VerificationOutput(facts=facts, households=verified.households)
        return read

    results = {}
    for order in ("sorted", "reversed"):
        monkeypatch.setattr(compute, "verify_facts_and_households", facts_in(order))
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


@pytest.mark.django_db(transaction=True)
def test_monitoring_facts_name_each_facts_member_row_and_are_verifications_facts(city):
    # given the city's members and monitoring's facts of them
    members = members_at(on=REFERENCE_DATE)
    facts = compute.monitoring_facts(members, on=REFERENCE_DATE).facts
    # then each fact's member row is a row of its own person and household
    rows = facts.column(MEMBER_ROW).to_numpy()
    assert facts.num_rows > 0
    assert np.array_equal(members.column("person_id").to_numpy()[rows], facts.column("person_id").to_numpy())
    assert np.array_equal(members.column("household_id").to_numpy()[rows], facts.column("household_id").to_numpy())
    # and without the row they are verification's facts of those members
    verified = verify_facts(VerificationInput(persons=members.select(PERSONS_SCHEMA.names), on=REFERENCE_DATE),
                            categories=compute.FACT_CATEGORIES, fields=compute.FACT_FIELDS)
    assert facts.drop_columns([MEMBER_ROW]).sort_by([(c, "ascending") for c in FACT_ORDER]).equals(verified)


@pytest.mark.django_db(transaction=True)
def test_the_indicator_table_compiles_once_per_shape_and_equals_the_expression_in_household_order(city):
    # given the city's members, their facts and a standard
    members = members_at(on=REFERENCE_DATE)
    verified = compute.monitoring_facts(members, on=REFERENCE_DATE)
    households = len(np.unique(members.column("household_id").to_numpy()))
    standard = np.linspace(400, 900, households)
    lib = library()
    compute._indicator_plans.clear()
    # when the table is computed twice
    tables = [compute.indicator_table(members=members, verified=verified, standard=standard, on=REFERENCE_DATE, lib=lib)
              for _ in range(2)]
    # then the plan was compiled once, and both are the expression's result ordered by household
    assert len(compute._indicator_plans) == 1 and tables[0].equals(tables[1])
    assert np.array_equal(tables[0].column("household_id").to_numpy(), np.arange(households))
    assert "ORDER BY" not in next(iter(compute._indicator_plans.values()))
    spark = compute.indicator_table(members=members, verified=verified, standard=standard, on=REFERENCE_DATE, lib=lib,
                                    backend="spark")
    assert spark.column_names == tables[0].column_names
    for name in spark.column_names:
        assert np.allclose(spark.column(name).to_numpy(), tables[0].column(name).to_numpy(), rtol=0, atol=1e-9,
                           equal_nan=True), name


@pytest.mark.django_db(transaction=True)
def test_the_proxies_compile_once_per_batch_set_and_are_the_same_on_spark(city):
    # given the city's members by household row
    members = members_at(on=REFERENCE_DATE)
    _, person_hh = np.unique(members.column("household_id").to_numpy(), return_inverse=True)
    sizes = np.bincount(person_hh).astype(float)
    args = dict(id_numbers=members.column("id_number"), person_hh=person_hh, members=sizes, on=REFERENCE_DATE)
    proxies._plans.clear()
    # when the proxies are computed twice on DuckDB, then each source's plan was compiled once
    first, second = (proxies.proxy_measures(**args) for _ in range(2))
    assert len(proxies._plans) == len(proxies.PROXY_SOURCES)
    assert all(np.array_equal(first[m], second[m]) for m in proxies.PROXY_MEASURES)
    assert all(first[m].sum() > 0 for m in proxies.PROXY_MEASURES)
    # and Spark gives the same measures
    spark = proxies.proxy_measures(**args, backend="spark")
    for m in proxies.PROXY_MEASURES:
        assert np.allclose(spark[m], first[m], rtol=0, atol=1e-9), m
