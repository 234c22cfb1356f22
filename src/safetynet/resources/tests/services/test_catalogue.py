"""Catalogue maintenance: a social organisation's entry takes effect at once; a public
department's waits for a second person (maker-checker); bad entries are refused by code."""

import pytest

from safetynet.core.errors import PermissionDenied
from safetynet.core.testing import Role, make_user
from safetynet.resources import services
from safetynet.resources.errors import (
    ChangeDecided,
    ErrorCode,
    InvalidCondition,
    InvalidResource,
    OwnChange,
    ProviderNotFound,
)
from safetynet.resources.models import ChangeStatus, Resource

pytestmark = pytest.mark.django_db


def data(code="new", **kw):
    return {"code": code, "name": "助学金", "kind": "cash", "unit_cost_fen": 100_000, "capacity": 10,
            "service_area": kw.pop("area", "990100000000"), "meets": {"education": 80},
            "conditions": [{"variable": "income_to_standard", "op": "lt", "value": 1.5}], **kw}


def test_social_organisation_entry_takes_effect_at_once(catalogue, people):
    change = services.resource_propose(provider_id=catalogue.charity.pk, actor=people.provider,
                                       data=data(area="990101000000"))
    assert change.status == ChangeStatus.APPROVED
    assert Resource.objects.get(code="new").conditions == [{"variable": "income_to_standard", "op": "lt", "value": 1.5}]


def test_department_entry_waits_for_a_second_person(catalogue, people, tree):
    # given: the department's own staff member proposes a new grant
    catalogue.department.staff.add(people.provider)
    change = services.resource_propose(provider_id=catalogue.department.pk, actor=people.provider, data=data())
    assert change.status == ChangeStatus.PENDING and not Resource.objects.filter(code="new").exists()
    # the admin who proposes a change cannot approve it himself
    own = services.resource_propose(provider_id=catalogue.department.pk, actor=people.admin,
                                    data={"capacity": 99}, resource_id=catalogue.grant.pk)
    with pytest.raises(OwnChange) as e:
        services.resource_change_review(change_id=own.pk, approve=True, actor=people.admin)
    assert e.value.code == ErrorCode.OWN_CHANGE
    # a provider may not review at all
    with pytest.raises(PermissionDenied):
        services.resource_change_review(change_id=change.pk, approve=True, actor=people.provider)
    # when a second person (city-level admin) approves
    checker = make_user(Role.ADMIN, tree.city)
    services.resource_change_review(change_id=change.pk, approve=True, actor=checker)
    services.resource_change_review(change_id=own.pk, approve=True, actor=checker)
    # then both take effect, and approving again is harmless; rejecting now is refused
    assert Resource.objects.get(code="new").capacity == 10
    catalogue.grant.refresh_from_db()
    assert catalogue.grant.capacity == 99
    assert services.resource_change_review(change_id=change.pk, approve=True, actor=checker).status == "approved"
    with pytest.raises(ChangeDecided):
        services.resource_change_review(change_id=change.pk, approve=False, note="晚了", actor=checker)


def test_provider_cannot_maintain_another_providers_entries(catalogue, people):
    with pytest.raises(ProviderNotFound):
        services.resource_propose(provider_id=catalogue.department.pk, actor=people.provider, data=data())


@pytest.mark.parametrize(("bad", "code"), [
    ({"conditions": [{"variable": "mood", "op": "eq", "value": 1}]}, ErrorCode.INVALID_CONDITION),
    ({"conditions": [{"variable": "dibao_eligible", "op": "like", "value": 1}]}, ErrorCode.INVALID_CONDITION),
    ({"conditions": [{"variable": "dibao_eligible", "op": "eq", "value": "yes"}]}, ErrorCode.INVALID_CONDITION),
    ({"meets": {"happiness": 50}}, ErrorCode.INVALID_RESOURCE),
    ({"meets": {"education": 0}}, ErrorCode.INVALID_RESOURCE),
    ({"capacity": -1}, ErrorCode.INVALID_RESOURCE),
    ({"area": "990102000000"}, ErrorCode.INVALID_RESOURCE),
    ({"exclusive_with": ["nope"]}, ErrorCode.INVALID_RESOURCE),
    ({"kind": "magic"}, ErrorCode.INVALID_RESOURCE),
])
def test_bad_entries_are_refused_with_their_code(catalogue, people, bad, code):
    with pytest.raises((InvalidResource, InvalidCondition)) as e:
        services.resource_propose(provider_id=catalogue.charity.pk, actor=people.provider,
                                  data=data(**({"area": "990101000000"} | bad)))
    assert e.value.code == code
    assert not Resource.objects.filter(code="new").exists()
