"""Reads from the registry. All of them pass through ``core.access.scope``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core.access import get_scoped, scope
from safetynet.core.errors import ValidationFailed
from safetynet.core.masking import mask_id_number, mask_phone
from safetynet.core.permissions import Action, require
from safetynet.regions.models import subtree_q
from safetynet.registry.errors import HouseholdNotFound, PersonNotFound
from safetynet.registry.models import Household, Membership, Person


def _require_registry_access(user, *, action: str) -> None:
    """Staff the permission table keeps out (providers, data providers, analysts) do not open
    individual records; citizens pass on to ``scope``, which shows them only their own."""
    require(user, Action.REGISTRY_BROWSE)


#: What a search box may hold besides a name: an ID number (15 or 18 characters), a phone number.
_ID_NUMBER = re.compile(r"\d{17}[\dX]|\d{15}")
_PHONE = re.compile(r"\+?\d{7,15}")


def person_match_q(q: str, field: str = "") -> Q:
    """Persons a search box means: by full ID number, by phone number, else by the start of the
    name (姓名). ``field`` prefixes the lookups (``"person__"`` from a membership)."""
    q = q.strip()
    if _ID_NUMBER.fullmatch(q.upper()):
        return Q(**{f"{field}id_number": q.upper()})
    if _PHONE.fullmatch(q.replace(" ", "").replace("-", "")):
        return Q(**{f"{field}phone": q.replace(" ", "").replace("-", "")})
    return Q(**{f"{field}name__startswith": q})


def household_match_q(q: str, field: str = "") -> Q:
    """Households a search box means: by 户号, or by a current member found by name, ID number or
    phone. ``field`` is the path to the household (``"household__"`` from a case or an alert)."""
    q = q.strip()
    members = Membership.objects.filter(person_match_q(q, "person__"), left_on__isnull=True).values("household_id")
    pk = f"{field}pk" if field else "pk"
    return Q(**{f"{field}number": q}) | Q(**{f"{pk}__in": members})


def person_list_for_user(*, user, q: str = "", region_code: str | None = None) -> QuerySet[Person]:
    _require_registry_access(user, action="person.list")
    qs = scope(Person.objects.select_related("residence_region"), user=user, citizen_filter=Q(id=user.person_id))
    if region_code:
        qs = qs.filter(residence_region__path__contains=f"{region_code}/")
    if q.strip():
        qs = qs.filter(person_match_q(q))
    return qs.order_by("id")


def person_get_for_user(*, user, person_id: int) -> Person:
    _require_registry_access(user, action="person.view")
    qs = scope(
        Person.objects.select_related("residence_region", "hukou_region"),
        user=user,
        citizen_filter=Q(id=user.person_id),
    )
    return get_scoped(qs, user=user, error=PersonNotFound, pk=person_id)


def household_list_for_user(*, user, region_code: str | None = None, q: str = "") -> QuerySet[Household]:
    _require_registry_access(user, action="household.list")
    qs = scope(
        Household.objects.select_related("region"),
        user=user,
        citizen_filter=Q(memberships__person_id=user.person_id, memberships__left_on__isnull=True),
    )
    if region_code:
        qs = qs.filter(region__path__contains=f"{region_code}/")
    if q.strip():
        qs = qs.filter(household_match_q(q))
    return qs.order_by("id")


def household_get_for_user(*, user, household_id: int) -> Household:
    _require_registry_access(user, action="household.view")
    qs = scope(
        Household.objects.select_related("region").prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("person").order_by("joined_on", "id"))
        ),
        user=user,
        citizen_filter=Q(memberships__person_id=user.person_id, memberships__left_on__isnull=True),
    )
    return get_scoped(qs.distinct(), user=user, error=HouseholdNotFound, pk=household_id)


def household_with_members_at_for_user(*, user, household_id: int, on: dt.date) -> tuple[Household, list[Membership]]:
    """A household the user may see (scoped as :func:`household_get_for_user`) with its region, and
    its members on ``on`` with their persons (as :func:`household_members_at` gives them), in one
    query: the members of the scoped household, each with the household and the person (a single
    family's report reads this on every run; building a query costs more than running it). A
    household with no member on ``on`` is read by itself."""
    _require_registry_access(user, action="household.view")
    visible = scope(
        Household.objects.filter(pk=household_id),
        user=user,
        citizen_filter=Q(memberships__person_id=user.person_id, memberships__left_on__isnull=True),
    )
    members = list(
        Membership.objects.filter(Q(left_on__isnull=True) | Q(left_on__gt=on), household__in=visible.values("pk"),
                                  joined_on__lte=on)
        .select_related("household__region", "person").order_by("joined_on", "id")
    )
    if not members:
        return household_get_for_user(user=user, household_id=household_id), []
    household = members[0].household
    for m in members:
        m.household = household
    return household, members


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
    require(user, Action.PERSON_VIEW_FULL)
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise ValidationFailed(_("查看完整身份信息须说明事由"), code="audit.purpose_required")
    person = person_get_for_user(user=user, person_id=person_id)
    audit_record(actor=user, action="person.view_full", target=person, purpose=purpose)
    return PersonView(person, person.id_number, person.phone, full=True)


@dataclass(frozen=True)
class RegionCounts:
    households: int
    persons: int


def registry_counts_by_region_for_user(*, user, regions) -> dict[str, RegionCounts]:
    """Households and persons the user may see in each region's subtree, keyed by region code.

    Two queries however many regions are asked about (conditional aggregation), so a region
    page with fifty children costs the same as one with two.
    """
    from django.db.models import Count

    regions = list(regions)
    if not regions:
        return {}
    households = household_list_for_user(user=user).order_by().aggregate(
        **{f"r{i}": Count("id", filter=subtree_q(r.path, "region__path")) for i, r in enumerate(regions)}
    )
    persons = person_list_for_user(user=user).order_by().aggregate(
        **{f"r{i}": Count("id", filter=subtree_q(r.path, "residence_region__path")) for i, r in enumerate(regions)}
    )
    return {r.code: RegionCounts(households[f"r{i}"], persons[f"r{i}"]) for i, r in enumerate(regions)}


def household_summaries_for_user(*, user, region_code: str | None = None, q: str = "") -> QuerySet[Household]:
    """``household_list_for_user`` with ``current_members`` and ``head_name`` annotated for list
    pages: subqueries, so a citizen's own-membership filter does not narrow the member count."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery

    current = Membership.objects.filter(household=OuterRef("pk"), left_on__isnull=True)
    member_count = current.order_by().values("household").annotate(n=Count("id")).values("n")
    head_name = current.filter(relationship="head").order_by("joined_on").values("person__name")[:1]
    return household_list_for_user(user=user, region_code=region_code, q=q).annotate(
        current_members=Subquery(member_count, output_field=IntegerField()),
        head_name=Subquery(head_name),
    )


def person_memberships(*, person: Person) -> list[Membership]:
    """Every household the person belonged to, oldest first, with joined/left dates and reasons."""
    return list(
        Membership.objects.filter(person=person).select_related("household", "household__region").order_by("joined_on", "id")
    )
