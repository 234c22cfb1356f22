"""Reads from the registry. All of them pass through ``core.access.scope``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from safetynet.accounts.roles import REGISTRY_READERS
from safetynet.audit.services import audit_record
from safetynet.core.access import get_scoped, require_role, scope
from safetynet.core.errors import ValidationFailed
from safetynet.core.masking import mask_id_number, mask_phone
from safetynet.registry.errors import HouseholdNotFound, PersonNotFound
from safetynet.registry.models import Household, Membership, Person


def person_list_for_user(*, user, q: str = "", region_code: str | None = None) -> QuerySet[Person]:
    qs = scope(Person.objects.select_related("residence_region"), user=user, citizen_filter=Q(id=user.person_id))
    if region_code:
        qs = qs.filter(residence_region__path__contains=f"{region_code}/")
    if q:
        qs = qs.filter(Q(name__startswith=q) | Q(id_number=q.upper()))
    return qs.order_by("id")


def person_get_for_user(*, user, person_id: int) -> Person:
    qs = scope(
        Person.objects.select_related("residence_region", "hukou_region"),
        user=user,
        citizen_filter=Q(id=user.person_id),
    )
    return get_scoped(qs, user=user, error=PersonNotFound, pk=person_id)


def household_list_for_user(*, user, region_code: str | None = None) -> QuerySet[Household]:
    qs = scope(
        Household.objects.select_related("region"),
        user=user,
        citizen_filter=Q(memberships__person_id=user.person_id, memberships__left_on__isnull=True),
    )
    if region_code:
        qs = qs.filter(region__path__contains=f"{region_code}/")
    return qs.order_by("id")


def household_get_for_user(*, user, household_id: int) -> Household:
    qs = scope(
        Household.objects.select_related("region").prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("person").order_by("joined_on", "id"))
        ),
        user=user,
        citizen_filter=Q(memberships__person_id=user.person_id, memberships__left_on__isnull=True),
    )
    return get_scoped(qs.distinct(), user=user, error=HouseholdNotFound, pk=household_id)


def household_members_at(*, household: Household, on: dt.date) -> list[Membership]:
    """Who belonged to the household on a date (joined on or before it, not yet left)."""
    return [
        m
        for m in household.memberships.all()
        if m.joined_on <= on and (m.left_on is None or m.left_on > on)
    ]


def person_current_household(*, person: Person) -> Household | None:
    m = person.memberships.filter(left_on__isnull=True).select_related("household").first()
    return m.household if m else None


@dataclass(frozen=True)
class PersonView:
    """What a page or the API shows of a person: identifiers masked unless ``full``."""

    person: Person
    id_number: str
    phone: str
    full: bool


def person_view(*, person: Person) -> PersonView:
    return PersonView(person, mask_id_number(person.id_number), mask_phone(person.phone), full=False)


@transaction.atomic
def person_full_record(*, user, person_id: int, purpose: str) -> PersonView:
    """The unmasked record. Needs a stated purpose; the view itself is audited (查阅留痕)."""
    require_role(user, REGISTRY_READERS, action="person.view_full")
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise ValidationFailed(_("查看完整身份信息须说明事由"), code="audit.purpose_required")
    person = person_get_for_user(user=user, person_id=person_id)
    audit_record(actor=user, action="person.view_full", target=person, purpose=purpose)
    return PersonView(person, person.id_number, person.phone, full=True)
