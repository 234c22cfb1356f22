"""Every write on a case answers a case outside the caller's region exactly as it answers a case
that does not exist (issue 14: six endpoints told them apart)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from safetynet.cases.models import Objection, PublicNotice
from safetynet.cases.tests.conftest import submit
from safetynet.core.testing import make_household

MISSING = 987654321

WRITES = [
    ("/actions", {"action": "accept", "note": "受理"}),
    ("/visits", {"visited_on": "2026-11-01", "findings": {"住房": "自有"}, "notes": ""}),
    ("/notice", {}),
    ("/objections", {"content": "该户有车辆", "raised_by": "邻居"}),
    ("/decision-confirmation", {"confirm": True, "reason": "核实无误"}),
    ("/appeals", {"reason": "收入核算有误"}),
    ("/appeal-decision", {"rereview": True, "reason": "重新核查"}),
]


def _body(response):
    body = response.json()
    body.get("details", {}).pop("case_id", None)
    body.get("details", {}).pop("objection_id", None)
    body.get("details", {}).pop("household_id", None)
    return response.status_code, body


@pytest.mark.django_db
@pytest.mark.parametrize(("suffix", "payload"), WRITES, ids=[w[0] for w in WRITES])
def test_a_case_in_another_region_is_answered_as_missing(tree, staff, suffix, payload):
    # given a case filed in the west county, and an east street officer
    west_case = submit(make_household(tree.west_community), staff.west_street)
    client = Client()
    client.force_login(staff.street)
    # when the officer writes to it and to an id that does not exist
    there = client.post(f"/api/v1/cases/{west_case.pk}{suffix}", payload, content_type="application/json")
    missing = client.post(f"/api/v1/cases/{MISSING}{suffix}", payload, content_type="application/json")
    # then both answers are the same 404
    assert there.status_code == 404
    assert _body(there) == _body(missing)


@pytest.mark.django_db
def test_an_attachment_to_a_case_elsewhere_is_answered_as_missing(tree, staff):
    west_case = submit(make_household(tree.west_community), staff.west_street)
    client = Client()
    client.force_login(staff.street)

    def post(case_id):
        upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        return client.post(f"/api/v1/cases/{case_id}/attachments", {"file": upload, "kind": "income"})

    there, missing = post(west_case.pk), post(MISSING)
    assert there.status_code == 404 and _body(there) == _body(missing)


@pytest.mark.django_db
def test_resolving_an_objection_elsewhere_is_answered_as_missing(tree, staff):
    west_case = submit(make_household(tree.west_community), staff.west_street)
    notice = PublicNotice.objects.create(
        case=west_case, opened_by=staff.west_street, starts_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), ends_at=dt.datetime(2026, 11, 8, tzinfo=dt.UTC)
    )
    objection = Objection.objects.create(notice=notice, content="异议", received_by=staff.west_street, received_at=notice.starts_at
    )
    client = Client()
    client.force_login(staff.street)
    body = {"resolution": "已核实"}
    there = client.post(f"/api/v1/cases/objections/{objection.pk}/resolve", body, content_type="application/json")
    missing = client.post(f"/api/v1/cases/objections/{MISSING}/resolve", body, content_type="application/json")
    assert there.status_code == 404 and _body(there) == _body(missing)


@pytest.mark.django_db
def test_filing_for_a_household_elsewhere_is_answered_as_missing(tree, staff):
    west = make_household(tree.west_community)
    head = west.memberships.order_by("id").first().person
    client = Client()
    client.force_login(staff.street)
    body = {"programme": "dibao", "household_id": west.pk, "applicant_id": head.pk, "channel": "window"}
    there = client.post("/api/v1/cases", body, content_type="application/json")
    body["household_id"] = MISSING
    missing = client.post("/api/v1/cases", body, content_type="application/json")
    assert _body(there) == _body(missing)
    assert there.status_code in (400, 404)
