"""Issue 14's input findings, each refused with a 4xx in the API's error format: overflowing
pagination and ids that answered 500, an oversized JSON body that got an HTML 400, NUL and
bidirectional-override characters accepted in names, dates running to 9999-12-31."""

import datetime as dt
import json

import pytest
from django.test import Client

from safetynet.cases.models import ProxyMandate
from safetynet.core.roles import Role
from safetynet.core.testing import make_person, make_region_tree, make_user
from safetynet.registry.models import Person

HUGE = "17673571288780046877065216"


@pytest.fixture
def officer_client(db):
    tree = make_region_tree()
    client = Client()
    client.force_login(make_user(Role.COUNTY_APPROVER, tree.east))
    return client, tree


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/monitoring/alerts?limit={HUGE}",
        f"/api/v1/monitoring/alerts?offset={HUGE}",
        f"/api/v1/verification/reports?limit={HUGE}",
        f"/api/v1/verification/reports?offset={HUGE}",
        f"/api/v1/verification/reports?household_id={HUGE}",
        f"/api/v1/verification/authorisations?offset={HUGE}",
        f"/api/v1/verification/authorisations?household_id={HUGE}",
        f"/api/v1/verification/cross-region?limit={HUGE}",
        f"/api/v1/verification/cross-region?offset={HUGE}",
        "/api/v1/verification/reports?limit=0",
        "/api/v1/monitoring/alerts?limit=100000",
        "/api/v1/rules/parameter-changes?offset=-1",
    ],
)
def test_overflowing_pagination_and_ids_are_a_422_not_a_500(officer_client, url):
    client, _ = officer_client
    response = client.get(url)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"


def test_lists_still_page_within_bounds(officer_client):
    client, _ = officer_client
    response = client.get("/api/v1/verification/reports?limit=500&offset=0")
    assert response.status_code == 200 and response.json() == {"items": [], "count": 0}


def test_an_oversized_json_body_is_answered_413_in_the_api_format(officer_client, settings):
    client, _ = officer_client
    body = json.dumps({"purpose": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = client.post("/api/v1/verification/households/1/reports", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "request.too_large"


@pytest.mark.parametrize("bad", ["\x00", "\u202e", "\u2066", "\x1b", "\x7f"])
def test_control_and_bidi_characters_are_refused_in_api_text(officer_client, bad):
    client, tree = officer_client
    grantor = make_person(tree.east_community)
    body = {"grantor_id": grantor.pk, "proxy_name": f"李{bad}四", "relationship": "子女", "valid_until": "2030-01-01"}
    street = Client()
    street.force_login(make_user(Role.STREET_OFFICER, tree.east_street))
    response = street.post("/api/v1/cases/mandates", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["field"] == "proxy_name"
    assert not ProxyMandate.objects.exists()


def test_ordinary_text_with_tabs_and_newlines_passes(officer_client):
    client, tree = officer_client
    grantor = make_person(tree.east_community)
    street = Client()
    street.force_login(make_user(Role.STREET_OFFICER, tree.east_street))
    body = {"grantor_id": grantor.pk, "proxy_name": "李四", "relationship": "子女\t（长子）\n", "valid_until": "2030-01-01"}
    assert street.post("/api/v1/cases/mandates", body, content_type="application/json").status_code == 201


def test_control_characters_are_refused_in_page_forms(db):
    tree = make_region_tree()
    client = Client()
    client.force_login(make_user(Role.STREET_OFFICER, tree.east_street))
    before = Person.objects.count()
    response = client.post("/verification/households/1/run/", {"purpose": "核对\x00"})
    assert response.status_code == 400
    assert "控制字符" in response.content.decode()
    assert Person.objects.count() == before


def test_a_mandate_to_9999_is_refused(officer_client):
    _, tree = officer_client
    grantor = make_person(tree.east_community)
    street = Client()
    street.force_login(make_user(Role.STREET_OFFICER, tree.east_street))
    body = {"grantor_id": grantor.pk, "proxy_name": "李四", "relationship": "子女", "valid_until": "9999-12-31"}
    response = street.post("/api/v1/cases/mandates", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid.date_range"
    assert not ProxyMandate.objects.exists()


def test_a_parameter_proposal_to_9999_is_refused(db):
    from safetynet.core.errors import ValidationFailed
    from safetynet.rules.parameter_admin import parameter_change_propose

    tree = make_region_tree()
    admin = make_user(Role.ADMIN, tree.city)
    with pytest.raises(ValidationFailed) as exc:
        parameter_change_propose(
            actor=admin,
            path="dibao.standard.urban",
            region_code=tree.east.code,
            effective_from=dt.date(9999, 12, 31),
            value="800",
            reference="民发〔2026〕1号",
        )
    assert exc.value.code == "invalid.date_range"


def test_pages_and_answers_carry_a_csp_with_nonce_and_no_store(officer_client):
    client, _ = officer_client
    page = client.get("/")
    csp = page["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert page["Cache-Control"] == "no-store"
    api = client.get("/api/v1/me")
    assert api["Cache-Control"] == "no-store"
