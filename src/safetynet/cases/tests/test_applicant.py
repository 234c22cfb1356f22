"""The applicant's side: each programme explained in one line, materials checked like every
attachment, and a second application pointing to the one in progress."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safetynet.cases.forms import new_idempotency_key
from safetynet.cases.models import Case
from safetynet.cases.tests.conftest import head_of
from safetynet.cases.texts import PROGRAMME_WHO
from safetynet.core.testing import Role, make_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + b"1" * 100


@pytest.fixture
def citizen(client, household):
    user = make_user(Role.CITIZEN, None, person=head_of(household))
    client.force_login(user)
    return user


def _apply(client, **extra):
    data = {"programme": "dibao", "description": "失业", "consent": "on", "idempotency_key": new_idempotency_key()}
    return client.post(reverse("cases:apply"), {**data, **extra})


def test_the_form_says_who_each_programme_is_for(client, citizen):
    html = client.get(reverse("cases:apply")).content.decode()
    for code, line in PROGRAMME_WHO.items():
        assert f'data-testid="who-{code}"' in html and str(line) in html


def test_materials_are_kept_with_the_application_and_a_bad_file_files_nothing(client, citizen):
    bad = SimpleUploadedFile("证明.pdf", b"plain text", content_type="application/pdf")
    response = _apply(client, materials=bad)
    assert response.status_code == 400 and "只接受 PDF、JPG、PNG 文件" in response.content.decode()
    assert not Case.objects.exists()
    response = _apply(client, materials=SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf"))
    case = Case.objects.get()
    assert response.status_code == 302 and case.attachments.get().original_name == "证明.pdf"


def test_a_second_application_links_to_the_one_in_progress(client, citizen):
    _apply(client)
    first = Case.objects.get()
    response = _apply(client)
    html = response.content.decode()
    assert response.status_code == 409 and "已有一件在办的" in html
    assert reverse("cases:progress", args=[first.pk]) in html and Case.objects.count() == 1
