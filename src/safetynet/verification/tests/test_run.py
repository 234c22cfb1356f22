"""A verification centre officer checks a family end to end: authorisation, the engine's facts,
the rules' standing, the stored report, its page, its PDF and its JSON."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.test import Client

from safetynet.audit.models import AuditEvent
from safetynet.core.roles import Role
from safetynet.core.testing import make_household, make_user
from safetynet.engine.index import IndexTable, index_builds_join
from safetynet.registry.models import SupportObligation
from safetynet.sources.services import source_ingest
from safetynet.verification.rules_bridge import supporter_facts
from safetynet.verification.services import authorisation_record, verification_run

ON = dt.date(2026, 11, 20)


def _csv(tmp_path: Path, name: str, header: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def family(tree, lake, tmp_path):
    """A family of three in 东区: the head earns 1,500 a month (three months of tax records), the
    second member has a car worth 30,000, nobody else has anything on record."""
    household = make_household(tree.east_community, members=3)
    members = list(household.memberships.select_related("person").order_by("id"))
    head, second = members[0].person, members[1].person
    wages = [f"{head.id_number},{head.name},91990100MA0000001X,示范厂,2026-{m:02d},1500.00,0,2026-10-31" for m in (8, 9, 10)]
    source_ingest(
        source_name="tax_wages",
        path=_csv(tmp_path, "w.csv", "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on", wages),
    )
    source_ingest(
        source_name="vehicles",
        path=_csv(
            tmp_path,
            "v.csv",
            "id_number,name,plate_number,vehicle_type,vehicle_value,purchase_date,disability_vehicle,reported_on",
            [f"{second.id_number},{second.name},示A12345,小型轿车,30000,2020-01-01,false,2026-10-31"],
        ),
    )
    return household, members


def _authorise(officer, household, members, sources=("tax_wages", "vehicles")):
    return authorisation_record(
        actor=officer,
        household_id=household.pk,
        signed_by_id=members[0].person_id,
        person_ids=[m.person_id for m in members],
        sources=list(sources),
        signed_on=dt.date(2026, 11, 1),
        valid_until=dt.date(2027, 4, 30),
    )


@pytest.mark.django_db
def test_a_report_cites_every_fact_and_places_the_household_against_the_thresholds(tree, family):
    household, members = family
    officer = make_user(Role.VERIFICATION_CENTRE, tree.east)
    _authorise(officer, household, members)
    # when the officer runs the check
    report = verification_run(actor=officer, household_id=household.pk, purpose="低保申请审核", on=ON)
    body = report.result
    # then income per head is the head's wage over three members, and each fact cites its batch row
    assert float(report.income_per_head) == pytest.approx(500.0)
    assert body["household"]["vehicles_count"] == 1
    facts = {m["person_id"]: m["facts"] for m in body["members"]}
    head_facts = facts[members[0].person_id]
    assert {f["category"] for f in head_facts} == {"wages"}
    assert sorted(f["row"] for f in head_facts) == [1, 2, 3]
    assert all(f["batch_id"].startswith("tax_wages-") and f["source_title"] == "工资薪金个税代扣" for f in head_facts)
    assert [f["category"] for f in facts[members[1].person_id]] == ["vehicles"]
    # and the standing comes from the rules: the car fails the 低保 vehicle test, in plain Chinese
    standing = body["standing"]
    assert standing["programmes"]["dibao"]["eligible"] is False
    assert "车" in standing["programmes"]["dibao"]["summary"]
    # the rules count wages after the work-cost disregard: min(20% × 1,500, 300) = 300 → 1,200 / 3
    assert standing["income_per_head"] == pytest.approx(400.0)
    assert "机动车" in standing["explanation"]
    # and the check is on the audit log with its purpose
    assert AuditEvent.objects.filter(action="verification.run", purpose="低保申请审核").count() == 1


@pytest.mark.django_db
def test_sources_outside_the_authorisation_are_not_checked(tree, family):
    household, members = family
    officer = make_user(Role.VERIFICATION_CENTRE, tree.east)
    _authorise(officer, household, members, sources=("tax_wages",))
    report = verification_run(actor=officer, household_id=household.pk, purpose="低保申请审核", on=ON)
    categories = {f["category"] for m in report.result["members"] for f in m["facts"]}
    assert categories == {"wages"}
    assert [s["code"] for s in report.result["sources"]] == ["tax_wages"]


@pytest.mark.django_db
def test_report_page_pdf_and_api_show_the_same_report(tree, family):
    household, members = family
    officer = make_user(Role.VERIFICATION_CENTRE, tree.east)
    _authorise(officer, household, members)
    client = Client()
    client.force_login(officer)
    # when the officer runs the check from the household's verification page
    response = client.post(f"/verification/households/{household.pk}/run/", {"purpose": "低保申请审核", "on": ON.isoformat()})
    assert response.status_code == 302
    page = client.get(response["Location"])
    # then the page shows the per-head income and each fact's source
    html = page.content.decode()
    assert page.status_code == 200 and "500.00" in html and "工资薪金个税代扣" in html
    report_id = int(response["Location"].rstrip("/").split("/")[-1])
    pdf = client.get(f"/verification/reports/{report_id}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    api = client.get(f"/api/v1/verification/reports/{report_id}")
    assert api.status_code == 200 and api.json()["income_per_head"] == pytest.approx(500.0)
    # and a neighbouring county's officer gets nothing
    other = Client()
    other.force_login(make_user(Role.VERIFICATION_CENTRE, tree.west))
    assert other.get(f"/verification/reports/{report_id}/").status_code == 404
    assert other.get(f"/api/v1/verification/reports/{report_id}").status_code == 404


@pytest.fixture
def family_with_a_son_elsewhere(tree, family, tmp_path):
    """The family of three, and the head's son in a household of his own who earns 6,000 a month
    (a duty of support in force: the rules count his household's income)."""
    household, members = family
    elsewhere = make_household(tree.east_community, members=2)
    son = elsewhere.memberships.select_related("person").order_by("id").first().person
    SupportObligation.objects.create(person=members[0].person, supporter=son, relation="child")
    wages = [f"{son.id_number},{son.name},91990100MA0000003X,示范厂,2026-{m:02d},6000.00,0,2026-10-31" for m in (8, 9, 10)]
    source_ingest(
        source_name="tax_wages",
        path=_csv(tmp_path, "w2.csv", "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on", [
            f"{members[0].person.id_number},{members[0].person.name},91990100MA0000001X,示范厂,2026-{m:02d},1500.00,0,2026-10-31"
            for m in (8, 9, 10)] + wages),
    )
    return household, members, son


@pytest.mark.django_db
def test_a_report_from_the_index_reads_it_once_and_says_what_the_sources_say(tree, family_with_a_son_elsewhere, monkeypatch):
    household, members, son = family_with_a_son_elsewhere
    officer = make_user(Role.VERIFICATION_CENTRE, tree.east)
    _authorise(officer, household, members)
    # given a first report, computed from the sources while the index is built
    from_sources = verification_run(actor=officer, household_id=household.pk, purpose="低保申请审核", on=ON).result
    index_builds_join()
    reads = []
    rows = IndexTable.rows
    monkeypatch.setattr(IndexTable, "rows", lambda self, ids, columns: reads.append(ids) or rows(self, ids, columns))
    # when the officer runs the check again, from the index
    from_index = verification_run(actor=officer, household_id=household.pk, purpose="低保申请审核", on=ON).result
    # then the family and the son's household were read in one lookup
    assert len(reads) == 1 and son.id_number_index in reads[0] and members[0].person.id_number_index in reads[0]
    # and the report is the same, fact by fact with the cited rows' columns, supporter by supporter
    assert json.dumps(from_index, sort_keys=True) == json.dumps(from_sources, sort_keys=True)
    head_facts = next(m["facts"] for m in from_index["members"] if m["person_id"] == members[0].person_id)
    assert [f["detail"]["period"] for f in head_facts] == ["2026-08", "2026-09", "2026-10"]
    assert {f["detail"]["wage_income"] for f in head_facts} == {1500.0}
    # and the son's household, verified in the family's lookup, counts his wages as its income
    [head_supporter] = supporter_facts(household=household, members=members, on=ON)[members[0].person_id]
    assert (head_supporter.person_id, head_supporter.household_income, head_supporter.lives_with) == (son.pk, 6000.0, False)
