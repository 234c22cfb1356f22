"""View tests for the web shell, through Django's test client."""

import datetime as dt

import pytest
from django.urls import reverse

from safetynet.audit.models import AuditEvent
from safetynet.core.masking import mask_id_number
from safetynet.core.testing import PASSWORD, Role, make_household, make_user
from safetynet.registry.services import household_remove_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(tree):
    return make_user(Role.COMMUNITY_WORKER, tree.east, username="east-worker")


@pytest.fixture
def household(tree):
    return make_household(tree.east_community, members=3)


def _client_for(client, user):
    client.force_login(user)
    return client


# --- sign-in --------------------------------------------------------------------------


def test_login_page_is_chinese_and_wrong_password_says_so_plainly(client, worker):
    # when
    response = client.post(reverse("web:login"), {"username": worker.username, "password": "wrong-password"})
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "用户名或密码不正确" in body
    assert "精准社会救助平台" in body


def test_right_password_lands_on_home(client, worker):
    response = client.post(
        reverse("web:login"), {"username": worker.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("web:home")
    assert "工作台" in response.content.decode()


def test_pages_need_sign_in(client, household):
    response = client.get(reverse("web:household", args=[household.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_too_many_failures_show_the_locked_out_page(client, worker, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("web:login"), {"username": worker.username, "password": "wrong-password"})
    response = client.post(reverse("web:login"), {"username": worker.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


# --- home -----------------------------------------------------------------------------


def test_home_shows_counts_of_own_subtree_only(client, tree, worker):
    # given two households with 2 members each in the east county, one in the west
    make_household(tree.east_community, members=2)
    make_household(tree.east_community_2, members=2)
    make_household(tree.west_community, members=2)
    # when
    response = _client_for(client, worker).get(reverse("web:home"))
    # then
    assert response.context["counts"].households == 2
    assert response.context["counts"].persons == 4
    body = response.content.decode()
    assert reverse("web:households") in body and reverse("web:regions") in body
    assert "社区专干/网格员" in body and "东区" in body


def test_home_for_a_role_without_pages_describes_the_work_without_links(client, tree):
    provider = make_user(Role.PROVIDER, tree.east)
    response = _client_for(client, provider).get(reverse("web:home"))
    body = response.content.decode()
    assert "发布救助资源" in body
    assert reverse("web:households") not in body


# --- regions --------------------------------------------------------------------------


def test_region_browser_lists_children_with_counts_and_stops_breadcrumb_at_own_region(client, tree, worker):
    make_household(tree.east_community, members=2)
    response = _client_for(client, worker).get(reverse("web:region", args=[tree.east_street.code]))
    assert response.status_code == 200
    assert [r.code for r in response.context["breadcrumb"]] == [tree.east.code, tree.east_street.code]
    counts = {child.code: c for child, c in response.context["children"]}
    assert counts[tree.east_community.code].households == 1
    assert counts[tree.east_community.code].persons == 2
    assert counts[tree.east_community_2.code].households == 0
    assert "示范市" not in response.content.decode().split("<main")[1]


def test_region_browser_defaults_to_own_region(client, tree, worker):
    response = _client_for(client, worker).get(reverse("web:regions"))
    assert response.context["region"] == tree.east


def test_region_of_another_county_is_404(client, tree, worker):
    response = _client_for(client, worker).get(reverse("web:region", args=[tree.west.code]))
    assert response.status_code == 404
    assert "不在您的管辖范围内" in response.content.decode()


# --- households -----------------------------------------------------------------------


def test_household_page_masks_id_and_phone(client, worker, household):
    person = household.memberships.first().person
    response = _client_for(client, worker).get(reverse("web:household", args=[household.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert mask_id_number(person.id_number) in body
    assert person.id_number not in body
    assert person.phone not in body
    assert "查看完整信息" in body


def test_household_page_shows_history_with_leave_date_and_reason(client, worker, household):
    person = household.memberships.order_by("id").last().person
    household_remove_member(
        actor=None, household=household, person=person, left_on=dt.date(2020, 6, 1), reason="外出务工迁出"
    )
    response = _client_for(client, worker).get(reverse("web:household", args=[household.pk]))
    body = response.content.decode()
    assert len(response.context["current"]) == 2
    assert "2020-06-01" in body and "外出务工迁出" in body


def test_household_of_neighbouring_county_is_404(client, tree, household):
    west_worker = make_user(Role.COMMUNITY_WORKER, tree.west)
    person = household.memberships.first().person
    c = _client_for(client, west_worker)
    for url in (reverse("web:household", args=[household.pk]), reverse("web:person", args=[person.pk])):
        response = c.get(url)
        assert response.status_code == 404
        assert "不在您的管辖范围内" in response.content.decode()


def test_household_list_filters_by_community(client, tree, worker):
    here = make_household(tree.east_community, members=1)
    make_household(tree.east_community_2, members=1)
    response = _client_for(client, worker).get(
        reverse("web:households"), {"community": tree.east_community.code}
    )
    assert [h.pk for h in response.context["page"].object_list] == [here.pk]


def test_household_list_counts_current_members_and_names_the_head(client, worker, household):
    response = _client_for(client, worker).get(reverse("web:households"))
    (row,) = response.context["page"].object_list
    assert row.current_members == 3
    assert row.head_name == household.memberships.get(relationship="head").person.name


def test_citizen_sees_only_own_household(client, tree, household):
    own = household.memberships.first().person
    other = make_household(tree.east_community, members=1)
    citizen = make_user(Role.CITIZEN, None, person=own)
    c = _client_for(client, citizen)
    listed = c.get(reverse("web:households")).context["page"].object_list
    assert [h.pk for h in listed] == [household.pk]
    assert c.get(reverse("web:household", args=[other.pk])).status_code == 404
    own_page = c.get(reverse("web:household", args=[household.pk])).content.decode()
    assert "查看完整信息" not in own_page


@pytest.mark.parametrize(("url_name", "many"), [("web:households", 25), ("web:persons", 25)])
def test_list_pages_have_bounded_queries(client, tree, worker, django_assert_max_num_queries, url_name, many):
    # given more rows than a page holds, in several communities
    for i in range(many):
        make_household(tree.east_community if i % 2 else tree.east_community_2, members=2)
    c = _client_for(client, worker)
    # then a page costs the same number of queries whatever it lists
    with django_assert_max_num_queries(8):
        response = c.get(reverse(url_name))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 20


def test_region_and_household_pages_have_bounded_queries(client, tree, worker, django_assert_max_num_queries):
    household = make_household(tree.east_community, members=4)
    c = _client_for(client, worker)
    # (one query of the nine reads the account's display preference, 大字模式)
    with django_assert_max_num_queries(9):
        assert c.get(reverse("web:region", args=[tree.east.code])).status_code == 200
    # the household page also reads which buttons to offer and the account's display preference
    with django_assert_max_num_queries(9):
        assert c.get(reverse("web:household", args=[household.pk])).status_code == 200


# --- persons and the audited full view ------------------------------------------------


def test_person_search_by_exact_id_number(client, worker, household):
    person = household.memberships.first().person
    response = _client_for(client, worker).get(reverse("web:persons"), {"q": person.id_number})
    # then the result is listed masked (the search box keeps what the user typed)
    assert [v.person.pk for v in response.context["page"].object_list] == [person.pk]
    results = response.content.decode().split('data-testid="person-list"')[1]
    assert mask_id_number(person.id_number) in results
    assert person.id_number not in results
    assert f"q={person.id_number}" not in response.content.decode()  # not leaked into the language form


def test_stating_a_purpose_reveals_full_id_and_audits_exactly_once(client, worker, household):
    # given
    person = household.memberships.first().person
    before = AuditEvent.objects.filter(action="person.view_full").count()
    # when
    response = _client_for(client, worker).post(
        reverse("web:person_reveal", args=[person.pk]),
        {"purpose": "入户调查核实身份"},
        HTTP_HX_REQUEST="true",
    )
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert person.id_number in body and person.phone in body
    assert f'id="ident-{person.pk}"' in body
    assert "<html" not in body  # an htmx fragment, not a page
    events = AuditEvent.objects.filter(action="person.view_full")
    assert events.count() == before + 1
    event = events.order_by("-seq").first()
    assert (event.purpose, event.target_id, event.actor_id) == ("入户调查核实身份", str(person.pk), worker.pk)


def test_missing_purpose_shows_error_and_writes_no_audit_event(client, worker, household):
    person = household.memberships.first().person
    before = AuditEvent.objects.count()
    response = _client_for(client, worker).post(
        reverse("web:person_reveal", args=[person.pk]), {"purpose": "  "}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "查看完整身份信息须说明事由" in body
    assert person.id_number not in body
    assert AuditEvent.objects.count() == before


def test_reveal_without_javascript_renders_the_person_page(client, worker, household):
    person = household.memberships.first().person
    response = _client_for(client, worker).post(
        reverse("web:person_reveal", args=[person.pk]), {"purpose": "复核"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body and person.id_number in body


def test_reveal_for_a_role_that_may_not_is_403_and_not_audited(client, tree, household):
    analyst = make_user(Role.ANALYST, tree.east)
    person = household.memberships.first().person
    before = AuditEvent.objects.count()
    response = _client_for(client, analyst).post(
        reverse("web:person_reveal", args=[person.pk]), {"purpose": "统计"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


def test_reveal_of_another_countys_person_is_404_and_not_audited(client, tree, household):
    west_worker = make_user(Role.COMMUNITY_WORKER, tree.west)
    person = household.memberships.first().person
    before = AuditEvent.objects.count()
    response = _client_for(client, west_worker).post(
        reverse("web:person_reveal", args=[person.pk]), {"purpose": "核实"}
    )
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


def test_reveal_needs_post(client, worker, household):
    person = household.memberships.first().person
    assert _client_for(client, worker).get(reverse("web:person_reveal", args=[person.pk])).status_code == 405


def test_person_page_shows_facts_and_household_history(client, worker, household):
    person = household.memberships.first().person
    response = _client_for(client, worker).get(reverse("web:person", args=[person.pk]))
    body = response.content.decode()
    assert household.number in body
    assert "有劳动能力" in body and "无登记疾病" in body
    assert mask_id_number(person.id_number) in body


# --- language -------------------------------------------------------------------------


def test_english_switch_renders_english(client, worker):
    c = _client_for(client, worker)
    response = c.post(reverse("set_language"), {"language": "en", "next": reverse("web:home")}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Workbench" in body
    assert "Social Assistance Platform" in body
    assert "工作台" not in body
