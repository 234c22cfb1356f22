import datetime as dt

import pytest

from safetynet.audit.models import AuditEvent
from safetynet.core.errors import NotFound, PermissionDenied
from safetynet.core.roles import Role
from safetynet.core.testing import make_household, make_user
from safetynet.verification.errors import AuthorisationMissing, InvalidAuthorisation
from safetynet.verification.services import authorisation_in_force, authorisation_record, verification_run

SOURCES = ["tax_wages", "vehicles"]


@pytest.fixture
def household(tree):
    return make_household(tree.east_community, members=3)


@pytest.fixture
def officer(tree):
    return make_user(Role.VERIFICATION_CENTRE, tree.east)


def _members(household):
    return [m.person_id for m in household.memberships.all()]


def _record(officer, household, **overrides):
    ids = _members(household)
    kwargs = dict(
        household_id=household.pk,
        signed_by_id=ids[0],
        person_ids=ids,
        sources=SOURCES,
        signed_on=dt.date(2026, 11, 1),
        valid_until=dt.date(2027, 4, 30),
    )
    kwargs.update(overrides)
    return authorisation_record(actor=officer, **kwargs)


@pytest.mark.django_db
def test_recorded_authorisation_covers_members_and_sources(officer, household):
    auth = _record(officer, household)
    found = authorisation_in_force(
        household=household, on=dt.date(2026, 11, 20), person_ids=_members(household), sources=["vehicles"]
    )
    assert found.pk == auth.pk
    assert AuditEvent.objects.filter(action="authorisation.record", target_id=str(auth.pk)).count() == 1


@pytest.mark.django_db
def test_expired_or_partial_authorisation_is_not_in_force(officer, household):
    ids = _members(household)
    _record(officer, household, person_ids=ids[:2])
    with pytest.raises(AuthorisationMissing) as err:
        authorisation_in_force(household=household, on=dt.date(2026, 11, 20), person_ids=ids, sources=SOURCES)
    assert err.value.details["person_ids"] == [ids[2]]
    with pytest.raises(AuthorisationMissing) as err:
        authorisation_in_force(household=household, on=dt.date(2027, 6, 1), person_ids=ids[:2], sources=SOURCES)
    assert err.value.details["reason"] == "none"
    with pytest.raises(AuthorisationMissing) as err:
        authorisation_in_force(household=household, on=dt.date(2026, 11, 20), person_ids=ids[:2], sources=["prison"])
    assert err.value.details["sources"] == ["prison"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"sources": ["no_such_source"]}, "authorisation.sources"),
        ({"valid_until": dt.date(2028, 1, 1)}, "authorisation.validity"),
        ({"valid_until": dt.date(2026, 10, 1)}, "authorisation.validity"),
        ({"person_ids": [999999]}, "authorisation.persons"),
    ],
)
def test_bad_authorisations_are_refused_with_a_code(officer, household, overrides, code):
    with pytest.raises(InvalidAuthorisation) as err:
        _record(officer, household, **overrides)
    assert err.value.code == code


@pytest.mark.django_db
def test_a_neighbouring_county_cannot_record_or_run(tree, household):
    west_officer = make_user(Role.VERIFICATION_CENTRE, tree.west)
    with pytest.raises(NotFound):
        _record(west_officer, household)
    with pytest.raises(NotFound):
        verification_run(actor=west_officer, household_id=household.pk, purpose="低保审核")


@pytest.mark.django_db
def test_analysts_may_not_run_checks(tree, household):
    with pytest.raises(PermissionDenied):
        verification_run(actor=make_user(Role.ANALYST, tree.city), household_id=household.pk, purpose="低保审核")


@pytest.mark.django_db
def test_a_check_without_authorisation_is_refused_and_the_refusal_audited(officer, household):
    # given no authorisation on record
    # when the officer asks for a check
    with pytest.raises(AuthorisationMissing) as err:
        verification_run(actor=officer, household_id=household.pk, purpose="低保审核", on=dt.date(2026, 11, 20))
    # then the refusal says why and is on the audit log with the purpose
    assert "授权书" in err.value.message
    event = AuditEvent.objects.get(action="verification.refused")
    assert event.target_id == str(household.pk)
    assert event.purpose == "低保审核"
    assert event.data["code"] == "verification.no_authorisation"
