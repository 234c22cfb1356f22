"""Finding anyone where a person works: by name, ID number (shown masked), 户号 and phone, on the
household, person, case and alert lists, inside the user's region only; and the buttons from a
household to apply for it, its cases, its alerts and its picture."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from safetynet.cases.models import Channel
from safetynet.cases.services import case_submit
from safetynet.core.masking import mask_id_number
from safetynet.core.testing import Role, make_household, make_user
from safetynet.monitoring.models import Alert, AlertKind

pytestmark = pytest.mark.django_db


def _head(household):
    return household.memberships.order_by("id").first().person


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def homes(tree):
    mine = make_household(tree.east_community, members=2)
    other = make_household(tree.east_community, members=1)
    west = make_household(tree.west_community, members=1)
    return mine, other, west


def test_households_are_found_by_name_id_phone_and_number_within_the_region(tree, homes):
    mine, other, west = homes
    worker = _client(make_user(Role.COMMUNITY_WORKER, tree.east_community))
    head = _head(mine)
    for q in (head.name, head.id_number, head.phone, mine.number):
        body = worker.get("/households/", {"q": q}).content.decode()
        assert f"/households/{mine.pk}/" in body and f"/households/{other.pk}/" not in body, q
    # the full ID number typed in is not echoed back in the list
    assert head.id_number not in worker.get("/households/", {"q": head.name}).content.decode()
    # a household in another county is not found, whatever is typed
    west_head = _head(west)
    for q in (west_head.name, west_head.id_number, west.number):
        assert f"/households/{west.pk}/" not in worker.get("/households/", {"q": q}).content.decode()


def test_persons_are_found_by_phone_and_shown_masked(tree, homes):
    mine, _other, _west = homes
    head = _head(mine)
    body = _client(make_user(Role.STREET_OFFICER, tree.east_street)).get("/persons/", {"q": head.phone}).content.decode()
    assert f"/persons/{head.pk}/" in body and mask_id_number(head.id_number) in body
    assert head.id_number not in body


def test_the_case_queue_is_searched_by_name(tree, homes):
    mine, other, _west = homes
    worker = make_user(Role.COMMUNITY_WORKER, tree.east_community)
    street = make_user(Role.STREET_OFFICER, tree.east_street)
    cases = [case_submit(programme="dibao", channel=Channel.WINDOW, household_id=h.pk, applicant_id=_head(h).pk,
                         actor=worker).case for h in (mine, other)]
    body = _client(street).get("/cases/", {"q": _head(mine).name}).content.decode()
    assert f"/cases/{cases[0].pk}/" in body and f"/cases/{cases[1].pk}/" not in body


def _alert(household, level, *, due_in_days, reasons=8):
    return Alert.objects.create(
        household=household, kind=AlertKind.TRIGGER, condition=f"c-{level}-{household.pk}", level=level,
        reasons={"title": "测试触发", "explanation": "说明",
                 "events": [{"what": f"事件{i}"} for i in range(reasons)]},
        on=timezone.localdate(), due_at=timezone.now() + dt.timedelta(days=due_in_days),
    )


def test_alerts_are_paged_filtered_and_each_card_names_the_family_with_three_reasons(tree, homes):
    mine, other, _west = homes
    red = _alert(mine, "red", due_in_days=-1)
    yellow = _alert(other, "yellow", due_in_days=5)
    for _ in range(21):
        _alert(make_household(tree.east_community_2, members=1), "orange", due_in_days=3)
    worker = _client(make_user(Role.COMMUNITY_WORKER, tree.east_street))
    first = worker.get("/monitoring/alerts/").content.decode()
    assert first.count('data-testid="alert-row"') == 20 and "下一页" in first
    # the overdue red one is first, named by its head, with three reasons shown and the rest folded
    start = first.index('data-testid="alert-row"')
    card = first[start:first.index('data-testid="alert-row"', start + 1)]
    assert f'data-alert="{red.pk}"' in card and f"{_head(mine).name}家" in card
    assert card.count("<li>") == 3 + 6 and "其余 6 条原因" in card
    # filters
    assert f'data-alert="{yellow.pk}"' in worker.get("/monitoring/alerts/", {"level": "yellow"}).content.decode()
    overdue = worker.get("/monitoring/alerts/", {"overdue": "1"}).content.decode()
    assert overdue.count('data-testid="alert-row"') == 1 and f'data-alert="{red.pk}"' in overdue
    by_community = worker.get("/monitoring/alerts/", {"community": tree.east_community.code}).content.decode()
    assert by_community.count('data-testid="alert-row"') == 2
    by_phone = worker.get("/monitoring/alerts/", {"q": _head(other).phone}).content.decode()
    assert by_phone.count('data-testid="alert-row"') == 1 and f'data-alert="{yellow.pk}"' in by_phone


def test_a_household_page_offers_what_the_user_may_do_for_it(tree, homes):
    mine, _other, _west = homes
    body = _client(make_user(Role.COMMUNITY_WORKER, tree.east_community)).get(f"/households/{mine.pk}/").content.decode()
    assert f"/cases/proxy/?number={mine.number}" in body and "为该户代办申请" in body
    assert f"/monitoring/households/{mine.pk}/" in body and f"/monitoring/alerts/?q={mine.number}" in body
    # an analyst cannot open the household at all; a verification centre has no proxy filing
    centre = _client(make_user(Role.VERIFICATION_CENTRE, tree.east)).get(f"/households/{mine.pk}/").content.decode()
    assert "为该户代办申请" not in centre and f"/verification/households/{mine.pk}/" in centre


def test_the_alert_page_puts_who_where_and_the_actions_first(tree, homes):
    from safetynet.core.masking import mask_phone

    mine, _other, _west = homes
    alert = _alert(mine, "red", due_in_days=2)
    head = _head(mine)
    html = _client(make_user(Role.COMMUNITY_WORKER, tree.east_community)).get(
        f"/monitoring/alerts/{alert.pk}/").content.decode()
    assert f"{head.name}家" in html and mask_phone(head.phone) in html and head.phone not in html
    order = [html.index(m) for m in ('data-testid="alert-household"', 'data-testid="alert-reasons"',
                                     'data-testid="visit-form"', 'data-testid="alert-summary"', 'data-testid="members"')]
    assert order == sorted(order)
    # nine reasons (the trigger and eight events): three shown, six folded
    assert "其余 6 条原因" in html
