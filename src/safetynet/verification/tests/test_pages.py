"""The verification pages: a 授权书 recorded on the web with its signed scan, its members,
sources and validity checked at their fields; the check run from there."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.core.testing import Role, make_household, make_user
from safetynet.verification.models import Authorisation

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + b"0" * 200


def _form(household, **over):
    members = [m.person_id for m in household.memberships.all()]
    today = timezone.localdate()
    data = {
        "signed_by": members[0], "persons": members, "sources": ["tax_wages", "vehicles"],
        "signed_on": today.isoformat(), "valid_until": (today + dt.timedelta(days=180)).isoformat(),
        "scan": SimpleUploadedFile("授权书.pdf", PDF, content_type="application/pdf"),
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.VERIFICATION_CENTRE])
def test_an_authorisation_is_recorded_with_its_scan(client, tree, lake, role):
    household = make_household(tree.east_community, members=3)
    client.force_login(make_user(role, tree.east_community if role == Role.COMMUNITY_WORKER else tree.east))
    page = client.get(reverse("verification:household", args=[household.pk]))
    assert page.status_code == 200 and 'data-testid="authorisation-form"' in page.content.decode()
    response = client.post(reverse("verification:authorisation_new", args=[household.pk]), _form(household))
    assert response.status_code == 302
    auth = Authorisation.objects.get()
    assert auth.persons.count() == 3 and auth.sources == ["tax_wages", "vehicles"]
    assert auth.document_content_type == "application/pdf" and len(auth.document_sha256) == 64
    scan = client.get(reverse("verification:authorisation_scan", args=[auth.pk]))
    assert scan.status_code == 200 and b"".join(scan.streaming_content) == PDF
    # and the download is in the audit log with its purpose
    read = AuditEvent.objects.get(action="verification.authorisation_scan_read")
    assert read.target_id == str(auth.pk) and read.purpose and read.data["sha256"] == auth.document_sha256


def test_refusals_come_back_at_their_fields_and_nothing_is_recorded(client, tree, lake):
    household = make_household(tree.east_community, members=2)
    stranger = make_household(tree.east_community, members=1).memberships.get().person_id
    client.force_login(make_user(Role.VERIFICATION_CENTRE, tree.east))
    url = reverse("verification:authorisation_new", args=[household.pk])
    # no scan, no sources
    html = client.post(url, _form(household, scan=None, sources=None)).content.decode()
    assert 'data-testid="error-scan"' in html and 'data-testid="error-sources"' in html
    # a PNG signature on a text file is not a scan
    fake = SimpleUploadedFile("scan.png", b"hello", content_type="image/png")
    response = client.post(url, _form(household, scan=fake))
    assert response.status_code == 400 and 'data-testid="error-scan"' in response.content.decode()
    # more than a year of validity
    too_long = (timezone.localdate() + dt.timedelta(days=400)).isoformat()
    assert 'data-testid="error-valid_until"' in client.post(url, _form(household, valid_until=too_long)).content.decode()
    # someone not in the household is not a choice
    assert 'data-testid="error-persons"' in client.post(url, _form(household, persons=[stranger])).content.decode()
    assert not Authorisation.objects.exists()


def test_the_pdf_embeds_its_chinese_font(client, tree, lake):
    from safetynet.verification.services import authorisation_record, verification_run

    household = make_household(tree.east_community, members=2)
    centre = make_user(Role.VERIFICATION_CENTRE, tree.east)
    members = [m.person_id for m in household.memberships.all()]
    today = timezone.localdate()
    authorisation_record(actor=centre, household_id=household.pk, signed_by_id=members[0], person_ids=members,
                         sources=["tax_wages"], signed_on=today, valid_until=today + dt.timedelta(days=30))
    report = verification_run(actor=centre, household_id=household.pk, purpose="低保申请")
    client.force_login(centre)
    pdf = client.get(reverse("verification:report_pdf", args=[report.pk])).content
    # a TrueType font file is inside (a subset), and no font is left for the reader to supply
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf
    assert b"STSong" not in pdf
