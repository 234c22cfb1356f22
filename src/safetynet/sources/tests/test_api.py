import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from safetynet.accounts.services import api_token_issue
from safetynet.core.roles import Role
from safetynet.core.testing import make_user
from safetynet.sources.models import SourceBatch
from safetynet.sources.tests.test_ingest import HEADER, _row


def _push(client, token, name, body, source="tax_wages"):
    return client.post(
        f"/api/v1/sources/{source}/batches",
        {"file": SimpleUploadedFile(name, body.encode("utf-8"), content_type="text/csv")},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.mark.django_db
def test_a_data_provider_pushes_a_batch_with_a_token_and_resending_is_a_no_op(tree, lake):
    # given a data-provider account with an API token
    provider = make_user(Role.DATA_PROVIDER, tree.city)
    token = api_token_issue(actor=None, user=provider, label="税务局接口").plaintext
    client = Client()
    body = HEADER + _row() + _row(wage="-1")
    # when it pushes a file
    first = _push(client, token, "wages-2026-10.csv", body)
    # then the counts reconcile and the batch records the sender and the file's own name
    assert first.status_code == 201, first.content
    out = first.json()
    assert (out["received"], out["accepted"], out["quarantined"], out["duplicate"]) == (2, 1, 1, False)
    batch = SourceBatch.objects.get(batch_id=out["batch_id"])
    assert (batch.submitted_by, batch.file_name) == (provider, "wages-2026-10.csv")
    # and the same bytes again land nothing new
    again = _push(client, token, "wages-2026-10.csv", body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert SourceBatch.objects.count() == 1


@pytest.mark.django_db
def test_refusals_are_typed(tree, lake):
    analyst_token = api_token_issue(actor=None, user=make_user(Role.ANALYST, tree.city), label="x").plaintext
    provider_token = api_token_issue(actor=None, user=make_user(Role.DATA_PROVIDER, tree.city), label="y").plaintext
    client = Client()
    forbidden = _push(client, analyst_token, "w.csv", HEADER + _row())
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")
    refused = _push(client, provider_token, "w.csv", "id_number,name\n")
    assert (refused.status_code, refused.json()["code"]) == (400, "source.missing_columns")
    unknown = _push(client, provider_token, "w.csv", HEADER, source="nope")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "source.unknown")
    assert SourceBatch.objects.count() == 0
