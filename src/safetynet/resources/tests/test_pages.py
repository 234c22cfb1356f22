"""Pages: who opens which, what they show, and refusals in plain words."""

import pytest
from django.test import Client
from django.urls import reverse

from safetynet.resources import services
from safetynet.resources.models import Referral, ReferralStatus

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_officer_proposes_and_accepts_from_the_package_page(family, people, catalogue):
    c = client_for(people.street)
    url = reverse("resources:household", args=[family.pk])
    c.post(reverse("resources:needs_refresh", args=[family.pk]))
    page = c.get(url).content.decode()
    assert "残疾康复与照护" in page and "核对事实" in page
    c.post(reverse("resources:package_propose", args=[family.pk]))
    page = c.get(url).content.decode()
    assert "资源care" in page and "不能与已选的“资源care”同时享受" in page
    package_id = family.packages.get().pk
    response = c.post(reverse("resources:package_accept", args=[package_id]), follow=True)
    assert "已确认，转介单已发送给各提供方" in response.content.decode()
    assert Referral.objects.filter(package_id=package_id).count() == 3


def test_provider_workbench_walks_a_referral(family, people, catalogue):
    services.needs_refresh(household_id=family.pk, actor=people.street)
    package = services.package_propose(household_id=family.pk, actor=people.street)
    services.package_accept(package_id=package.pk, actor=people.street)
    care = Referral.objects.get(package=package, resource__code="care")
    c = client_for(people.provider)
    page = c.get(reverse("resources:workbench")).content.decode()
    assert care.number in page and "资源grant" not in page  # only the charity's referrals
    act = reverse("resources:referral_act", args=[care.pk])
    refused = c.post(act, {"action": "decline", "reason": ""}, follow=True).content.decode()
    assert "婉拒须说明理由" in refused
    c.post(act, {"action": "accept"})
    c.post(act, {"action": "deliver", "note": "已上门"})
    c.post(act, {"action": "outcome", "outcome": "met"})
    care.refresh_from_db()
    assert care.status == ReferralStatus.CLOSED and care.outcome == "met"
    # the household sees it in plain words
    mine = client_for(people.citizen).get(reverse("resources:mine")).content.decode()
    assert "“资源care”已办完：需求已解决" in mine


def test_wrong_roles_are_refused_in_plain_words(family, people, catalogue):
    assert client_for(people.provider).get(reverse("resources:household", args=[family.pk])).status_code == 403
    assert client_for(people.citizen).get(reverse("resources:workbench")).status_code == 403
    assert client_for(people.street).get(reverse("resources:dashboard")).status_code == 403
    assert client_for(people.west_street).get(reverse("resources:household", args=[family.pk])).status_code == 404


def test_dashboard_and_catalogue(family, people, catalogue):
    services.needs_refresh(household_id=family.pk, actor=people.street)
    page = client_for(people.county).get(reverse("resources:dashboard")).content.decode()
    assert "东区" in page and "resources-charts" in page
    page = client_for(people.provider).get(reverse("resources:catalogue")).content.decode()
    assert "资源rehab" in page and reverse("resources:resource_new", args=[catalogue.charity.pk]) in page


def test_resource_form_keeps_input_and_says_why(catalogue, people):
    c = client_for(people.provider)
    url = reverse("resources:resource_new", args=[catalogue.charity.pk])
    response = c.post(url, {"code": "x1", "name": "助浴", "kind": "care", "unit_cost": "12.345", "capacity": "5",
                            "service_area": "990101000000", "meets_elderly_care": "60"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "最多两位小数" in body and 'value="助浴"' in body
    response = c.post(url, {"code": "x1", "name": "助浴", "kind": "care", "unit_cost": "12.5", "capacity": "5",
                            "service_area": "990101000000", "meets_elderly_care": "60",
                            "cond_0_variable": "income_to_standard", "cond_0_op": "lt", "cond_0_value": "2"})
    assert response.status_code == 302
    resource = catalogue.charity.resources.get(code="x1")
    assert resource.unit_cost_fen == 1250 and resource.conditions[0]["variable"] == "income_to_standard"


def test_queue_lists_households_most_severe_first(family, people, catalogue, tree):
    services.needs_refresh(household_id=family.pk, actor=people.street)
    page = client_for(people.street).get(reverse("resources:queue")).content.decode()
    assert family.number in page and "危急" in page
