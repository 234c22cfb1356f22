"""A package from needs to a met need: propose (optimiser), accept (referrals with working-day
deadlines), the provider accepts and delivers, the outcome closes the need."""

import pytest

from safetynet.audit.models import AuditEvent
from safetynet.resources import services
from safetynet.resources.errors import ErrorCode, IllegalTransition, ReasonRequired, ReferralNotFound
from safetynet.resources.models import Need, NeedStatus, Package, PackageStatus, Referral, ReferralStatus

pytestmark = pytest.mark.django_db


def test_needs_refresh_derives_the_familys_needs_with_their_source(family, people):
    # when
    counts = services.needs_refresh(household_id=family.pk, actor=people.street)
    # then: no income (nothing found), a severely disabled son, a daughter of school age
    needs = {n.category: n for n in Need.objects.filter(household=family, status=NeedStatus.OPEN)}
    assert counts["created"] == len(needs)
    assert needs["basic_living"].severity == 4 and needs["basic_living"].source == "fact"
    assert needs["disability_care"].severity == 3
    assert "一、二级残疾 1 人" in needs["disability_care"].explanation
    assert needs["education"].severity == 2
    # a second run changes nothing
    again = services.needs_refresh(household_id=family.pk, actor=people.street)
    assert again == {"created": 0, "updated": 0, "withdrawn": 0}


def test_package_chooses_best_resources_and_explains_every_one(family, people, catalogue):
    services.needs_refresh(household_id=family.pk, actor=people.street)
    # when
    package = services.package_propose(household_id=family.pk, actor=people.street)
    # then: care (100%) beats rehab (70%) for the disability need; they are exclusive
    chosen = set(package.items.values_list("resource__code", flat=True))
    assert chosen == {"grant", "care", "cash"}
    assert package.explanation["rehab"]["code"] == "exclusive"
    assert package.gap <= 1e-4
    assert package.need_met >= package.greedy_need_met
    assert AuditEvent.objects.filter(action="resources.package_propose").count() == 1


def test_referral_walk_closes_the_met_need(family, people, catalogue):
    services.needs_refresh(household_id=family.pk, actor=people.street)
    package = services.package_propose(household_id=family.pk, actor=people.street)
    # when the officer accepts the package
    package = services.package_accept(package_id=package.pk, actor=people.street)
    # then one referral per resource, each to its provider, with a deadline
    referrals = {r.resource.code: r for r in Referral.objects.filter(package=package)}
    assert set(referrals) == {"grant", "care", "cash"}
    care = referrals["care"]
    assert care.provider == catalogue.charity and care.status == ReferralStatus.SENT
    assert care.accept_due > package.accepted_at
    # the provider of another organisation cannot touch the department's referral
    with pytest.raises(ReferralNotFound):
        services.referral_accept(referral_id=referrals["grant"].pk, actor=people.provider)
    # the charity accepts (twice: idempotent), delivers, and records the need met
    services.referral_accept(referral_id=care.pk, actor=people.provider)
    services.referral_accept(referral_id=care.pk, actor=people.provider)
    with pytest.raises(IllegalTransition) as e:
        services.referral_record_outcome(referral_id=care.pk, actor=people.provider, outcome="met")
    assert e.value.code == ErrorCode.ILLEGAL_TRANSITION
    services.referral_deliver(referral_id=care.pk, actor=people.provider, note="已安排护理员每周三次")
    services.referral_record_outcome(referral_id=care.pk, actor=people.provider, outcome="met")
    care.refresh_from_db()
    assert care.status == ReferralStatus.CLOSED and care.deliver_due is not None
    need = Need.objects.get(household=family, category="disability_care", source="fact")
    assert need.status == NeedStatus.MET and need.met_by == care
    assert Package.objects.get(pk=package.pk).status == PackageStatus.ACCEPTED


def test_decline_needs_a_reason_and_frees_capacity(family, people, catalogue):
    services.needs_refresh(household_id=family.pk, actor=people.street)
    package = services.package_propose(household_id=family.pk, actor=people.street)
    services.package_accept(package_id=package.pk, actor=people.street)
    care = Referral.objects.get(package=package, resource__code="care")
    with pytest.raises(ReasonRequired):
        services.referral_decline(referral_id=care.pk, actor=people.provider, reason=" ")
    services.referral_decline(referral_id=care.pk, actor=people.provider, reason="护理员不足")
    care.refresh_from_db()
    assert care.status == ReferralStatus.DECLINED and care.decline_reason == "护理员不足"
