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


@pytest.mark.django_db
def test_a_push_over_the_size_cap_gets_413_in_the_error_format_and_lands_nothing(tree, lake, settings):
    settings.SAFETYNET_UPLOAD_MAX_BYTES = 2_000
    token = api_token_issue(actor=None, user=make_user(Role.DATA_PROVIDER, tree.city), label="t").plaintext
    response = _push(Client(), token, "big.csv", HEADER + _row() * 40)
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "source.too_large" and body["details"]["max_bytes"] == 2_000 and "上限" in body["message"]
    assert SourceBatch.objects.count() == 0


@pytest.mark.django_db
def test_a_held_push_answers_202_and_a_steward_confirms_it_over_the_api(tree, lake, tmp_path):
    import datetime as dt

    from safetynet.registry.idnumber import make_resident_id

    provider = api_token_issue(actor=None, user=make_user(Role.DATA_PROVIDER, tree.city), label="p").plaintext
    steward = api_token_issue(actor=None, user=make_user(Role.VERIFICATION_CENTRE, tree.city), label="s").plaintext
    client = Client()
    ids = [make_resident_id("990101", dt.date(1970, 1, 1 + i), 20 + i, "M") for i in range(10)]
    full = HEADER + "".join(_row(id_number=i) for i in ids)
    assert _push(client, provider, "w1.csv", full).status_code == 201
    # a month later only two of ten persons arrive
    small = HEADER + "".join(_row(id_number=i, reported="2026-11-20", period="2026-11") for i in ids[:2])
    held = _push(client, provider, "w2.csv", small)
    assert held.status_code == 202 and held.json()["status"] == "held"
    batch_id = held.json()["batch_id"]
    denied = client.post(
        f"/api/v1/sources/batches/{batch_id}/confirm", {"note": "x"}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {provider}",
    )
    assert denied.status_code == 403
    ok = client.post(
        f"/api/v1/sources/batches/{batch_id}/confirm", {"note": "部门确认"}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {steward}",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "landed"
    again = client.post(
        f"/api/v1/sources/batches/{batch_id}/reject", {"note": ""}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {steward}",
    )
    assert (again.status_code, again.json()["code"]) == (409, "source.batch.not_held")
