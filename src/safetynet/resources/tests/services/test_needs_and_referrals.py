"""Needs from every source, the officer's adjustments, capacity under acceptance, escalation."""

import datetime as dt

import pytest
from django.utils import timezone

from safetynet.core.testing import make_household
from safetynet.monitoring.models import Alert
from safetynet.registry.errors import HouseholdNotFound
from safetynet.resources import services
from safetynet.resources.eligibility import DERIVED, VARIABLES
from safetynet.resources.errors import (
    ErrorCode,
    InvalidNeed,
    OverCapacity,
    PackageNotProposed,
    ResourceNotEligible,
    StackingViolated,
)
from safetynet.resources.models import Need, NeedSource, NeedStatus, Referral, ReferralStatus
from safetynet.rules.facts import HOUSEHOLD_COLUMNS
from safetynet.rules.services import RESULT_COLUMNS

pytestmark = pytest.mark.django_db


def test_alert_and_visit_needs_carry_their_source(family, people):
    # given: an open red alert for a hospital bill, and a worker's visit finding
    Alert.objects.create(household=family, kind="trigger", condition="hospital_bill", level="red",
                         reasons={}, on=timezone.localdate(), due_at=timezone.now() + dt.timedelta(days=3))
    services.need_record(household_id=family.pk, category="family_support", severity=2,
                         explanation="母亲照顾儿子，长期疲惫", actor=people.worker)
    # when
    services.needs_refresh(household_id=family.pk, actor=people.street)
    # then
    medical = Need.objects.get(household=family, category="medical", source=NeedSource.INDICATOR)
    assert medical.severity == 3 and medical.source_ref.startswith("YJ") and "大额住院自付" in medical.explanation
    visit = Need.objects.get(household=family, category="family_support", source=NeedSource.VISIT)
    assert visit.status == NeedStatus.OPEN and visit.recorded_by == people.worker
    with pytest.raises(InvalidNeed):
        services.need_record(household_id=family.pk, category="medical", severity=9, explanation="x",
                             actor=people.worker)


def test_officer_adjusts_within_the_rules(family, people, catalogue):
    services.needs_refresh(household_id=family.pk, actor=people.street)
    package = services.package_propose(household_id=family.pk, actor=people.street)
    # adding rehab beside care breaks the stacking rule
    with pytest.raises(StackingViolated):
        services.package_adjust(package_id=package.pk, actor=people.street, add=[catalogue.rehab.pk])
    # swapping care for rehab is fine
    services.package_adjust(package_id=package.pk, actor=people.street, add=[catalogue.rehab.pk],
                            remove=[catalogue.care.pk])
    assert set(package.items.values_list("resource__code", flat=True)) == {"grant", "rehab", "cash"}


def test_household_without_needs_gets_an_empty_package(tree, people, catalogue):
    household = make_household(tree.east_community, members=1)
    package = services.package_propose(household_id=household.pk, actor=people.street)
    # no needs recorded for this household: nothing is chosen
    assert package.items.count() == 0
    assert package.explanation["grant"]["code"] == "no_need"


def test_capacity_is_checked_again_when_a_package_is_accepted(family, tree, people, catalogue):
    # given: two households proposed the one care place at the same time
    other = make_household(tree.east_community, members=1)
    services.need_record(household_id=other.pk, category="disability_care", severity=4, explanation="卧床",
                         actor=people.worker)
    services.needs_refresh(household_id=family.pk, actor=people.street)
    first = services.package_propose(household_id=family.pk, actor=people.street)
    second = services.package_propose(household_id=other.pk, actor=people.street)
    assert "care" in set(second.items.values_list("resource__code", flat=True))
    services.package_accept(package_id=first.pk, actor=people.street)
    # when the second is accepted, the place is gone
    with pytest.raises(OverCapacity) as e:
        services.package_accept(package_id=second.pk, actor=people.street)
    assert e.value.code == ErrorCode.OVER_CAPACITY
    assert not Referral.objects.filter(package=second).exists()
    # an accepted package is not proposed again this month
    with pytest.raises(PackageNotProposed):
        services.package_propose(household_id=family.pk, actor=people.street)


def test_other_regions_households_are_not_found(family, people, catalogue):
    with pytest.raises(HouseholdNotFound):
        services.package_propose(household_id=family.pk, actor=people.west_street)


def test_overdue_referrals_escalate_once(family, people, catalogue):
    services.needs_refresh(household_id=family.pk, actor=people.street)
    package = services.package_propose(household_id=family.pk, actor=people.street)
    services.package_accept(package_id=package.pk, actor=people.street)
    later = timezone.now() + dt.timedelta(days=30)
    assert services.referrals_escalate_overdue(now=later) == 3
    assert services.referrals_escalate_overdue(now=later) == 0
    assert Referral.objects.filter(escalated_at__isnull=False, status=ReferralStatus.SENT).count() == 3


def test_eligibility_conditions_name_rules_variables():
    assert all(v in RESULT_COLUMNS or v in HOUSEHOLD_COLUMNS or v in DERIVED for v in VARIABLES)


def test_resource_not_eligible_code(family, people, catalogue):
    # given: the grant is for rural households only; the family lives in town
    catalogue.grant.conditions = [{"variable": "rural", "op": "eq", "value": 1}]
    catalogue.grant.save(update_fields=["conditions"])
    services.needs_refresh(household_id=family.pk, actor=people.street)
    package = services.package_propose(household_id=family.pk, actor=people.street)
    assert package.explanation["grant"]["code"] == "not_eligible"
    assert "农村家庭" in package.explanation["grant"]["reason"]
    with pytest.raises(ResourceNotEligible):
        services.package_adjust(package_id=package.pk, actor=people.street, add=[catalogue.grant.pk])
