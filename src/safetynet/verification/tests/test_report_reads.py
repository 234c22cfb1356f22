"""Reading a report (page, PDF, API) is audited, and the API masks ID numbers inside the facts
unless the reader states a purpose (issue 14: reports returned full IDs and left no trace)."""

import json

import pytest
from django.test import Client

from safetynet.audit.models import AuditEvent
from safetynet.core.roles import Role
from safetynet.core.testing import make_user
from safetynet.verification.services import verification_run
from safetynet.verification.tests.test_run import ON, _authorise, family  # noqa: F401 (fixture)


@pytest.fixture
def report_and_officer(tree, family):  # noqa: F811
    household, members = family
    officer = make_user(Role.VERIFICATION_CENTRE, tree.east)
    _authorise(officer, household, members)
    report = verification_run(actor=officer, household_id=household.pk, purpose="低保申请审核", on=ON)
    client = Client()
    client.force_login(officer)
    return report, members, client


def _reads():
    return list(AuditEvent.objects.filter(action="verification_report.read").order_by("seq"))


@pytest.mark.django_db
def test_the_api_masks_id_numbers_inside_facts_and_audits_the_read(report_and_officer):
    report, members, client = report_and_officer
    head_id = members[0].person.id_number
    stored = json.dumps(report.result, ensure_ascii=False)
    # the stored report names the person by blind index only (nothing in the clear at rest)
    assert head_id not in stored and members[0].person.id_number_index in stored
    # when the report is read through the API without a purpose
    response = client.get(f"/api/v1/verification/reports/{report.pk}")
    # then no full ID number appears anywhere in the answer, but the masked form does
    assert response.status_code == 200
    text = response.content.decode()
    assert head_id not in text
    facts_text = json.dumps([m["facts"] for m in json.loads(text)["result"]["members"]], ensure_ascii=False)
    assert head_id[:6] + "*" * 8 + head_id[-4:] in facts_text
    # and the read is on the audit log, masked, with the report's purpose
    [event] = _reads()
    assert (event.target_id, event.purpose, event.data["channel"], event.data["full"]) == (
        str(report.pk),
        "低保申请审核",
        "api",
        False,
    )


@pytest.mark.django_db
def test_a_stated_purpose_shows_full_numbers_and_is_audited(report_and_officer):
    report, members, client = report_and_officer
    response = client.get(f"/api/v1/verification/reports/{report.pk}", {"purpose": "入户核实身份"})
    assert response.status_code == 200
    assert members[0].person.id_number in response.content.decode()
    [event] = _reads()
    assert event.purpose == "入户核实身份" and event.data["full"] is True


@pytest.mark.django_db
def test_the_page_and_the_pdf_are_audited_too(report_and_officer):
    report, members, client = report_and_officer
    page = client.get(f"/verification/reports/{report.pk}/")
    pdf = client.get(f"/verification/reports/{report.pk}/pdf/")
    assert page.status_code == 200 and pdf.status_code == 200
    assert members[0].person.id_number not in page.content.decode()
    assert [e.data["channel"] for e in _reads()] == ["page", "pdf"]


@pytest.mark.django_db
def test_a_refused_read_leaves_no_read_event(tree, report_and_officer):
    report, _, _ = report_and_officer
    other = Client()
    other.force_login(make_user(Role.VERIFICATION_CENTRE, tree.west))
    assert other.get(f"/api/v1/verification/reports/{report.pk}").status_code == 404
    assert _reads() == []
