"""The API: the same services, errors as {"code","message","details"} with a 4xx."""

import pytest
from django.test import Client

from safetynet.resources import services
from safetynet.resources.models import Referral

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_package_walk_over_the_api(family, people, catalogue):
    officer, provider = client_for(people.street), client_for(people.provider)
    base = "/api/v1/resources"
    assert officer.post(f"{base}/households/{family.pk}/needs/refresh").status_code == 200
    needs = officer.get(f"{base}/households/{family.pk}/needs").json()
    assert {n["category"] for n in needs} >= {"basic_living", "disability_care", "education"}
    package = officer.post(f"{base}/households/{family.pk}/package").json()
    assert package["resources"] == ["care", "cash", "grant"] and package["need_met"] >= package["greedy_need_met"]
    accepted = officer.post(f"{base}/packages/{package['id']}/accept").json()
    assert accepted["status"] == "accepted"
    care = Referral.objects.get(package_id=package["id"], resource__code="care")
    r = provider.post(f"{base}/referrals/{care.pk}/decline", {"reason": ""}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "resources.reason_required"
    assert provider.post(f"{base}/referrals/{care.pk}/accept").json()["status"] == "accepted"
    r = provider.post(f"{base}/referrals/{care.pk}/outcome", {"outcome": "met"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "resources.illegal_transition"
    provider.post(f"{base}/referrals/{care.pk}/deliver", {"note": "ok"}, content_type="application/json")
    done = provider.post(f"{base}/referrals/{care.pk}/outcome", {"outcome": "met"}, content_type="application/json")
    assert done.json()["status"] == "closed"
    mine = client_for(people.citizen).get(f"{base}/referrals").json()["items"]
    assert {m["resource"] for m in mine} == {"care", "cash", "grant"}


def test_catalogue_and_refusals(family, people, catalogue):
    c = client_for(people.provider)
    rows = c.get("/api/v1/resources/catalogue").json()
    care = next(r for r in rows if r["code"] == "care")
    assert care["capacity_left"] == 1 and care["exclusive_with"] == ["rehab"]
    r = c.post("/api/v1/resources/changes", {"provider_id": catalogue.charity.pk, "data": {
        "code": "z", "name": "z", "kind": "care", "unit_cost_fen": 1, "capacity": 1, "service_area": "990101000000",
        "meets": {"elderly_care": 50}, "conditions": [{"variable": "nope", "op": "eq", "value": 1}]}},
        content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "resources.invalid_condition"
    assert c.get(f"/api/v1/resources/households/{family.pk}/needs").status_code == 403
    assert client_for(people.west_street).post(f"/api/v1/resources/households/{family.pk}/package").status_code == 404
    services.needs_refresh(household_id=family.pk, actor=people.street)
    rows = client_for(people.county).get("/api/v1/resources/dashboard").json()
    assert [r["district"] for r in rows] == ["990101000000"] and rows[0]["weighted_unmet"]["basic_living"] == 27
