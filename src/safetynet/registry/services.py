"""Writes to the registry: persons, households and dated membership (家庭成员变动)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core.permissions import Action, require
from safetynet.registry.errors import InvalidMembership, InvalidPerson, MembershipConflict, PersonNotFound
from safetynet.registry.idnumber import parse_resident_id
from safetynet.registry.models import (
    DisabilityCategory,
    HealthCondition,
    Household,
    LabourCapacity,
    Membership,
    Person,
    Relationship,
)
from safetynet.registry.selectors import household_get_for_user, person_get_for_user


def _today() -> dt.date:
    return timezone.localdate()


def person_validate(
    *,
    id_number: str,
    name: str,
    sex: str | None = None,
    birth_date: dt.date | None = None,
    disability_category: str = "",
    disability_grade: int | None = None,
    labour_capacity: str = LabourCapacity.FULL,
    health_conditions: list[str] | None = None,
) -> dict[str, Any]:
    """Check one person's identity facts against each other; return the cleaned fields."""
    rid = parse_resident_id(id_number, today=_today())
    name = (name or "").strip()
    if not name:
        raise InvalidPerson(_("姓名不能为空"), code="person.name")
    if birth_date is not None and birth_date != rid.birth_date:
        raise InvalidPerson(
            _("出生日期 %(b)s 与身份证号码中的 %(i)s 不一致") % {"b": birth_date, "i": rid.birth_date},
            code="person.birth_date_mismatch",
        )
    if sex is not None and sex != rid.sex:
        raise InvalidPerson(_("性别与身份证号码第17位不一致"), code="person.sex_mismatch")
    if disability_category not in DisabilityCategory.values:
        raise InvalidPerson(_("未知的残疾类别：%(c)s") % {"c": disability_category}, code="person.disability")
    if bool(disability_category) != (disability_grade is not None):
        raise InvalidPerson(_("残疾类别与残疾等级须同时填写或同时为空"), code="person.disability")
    if disability_grade is not None and not 1 <= disability_grade <= 4:
        raise InvalidPerson(_("残疾等级须为1至4级"), code="person.disability")
    if labour_capacity not in LabourCapacity.values:
        raise InvalidPerson(_("未知的劳动能力：%(c)s") % {"c": labour_capacity}, code="person.labour_capacity")
    conditions = list(health_conditions or [])
    unknown = [c for c in conditions if c not in HealthCondition.values]
    if unknown:
        raise InvalidPerson(_("未知的健康状况：%(c)s") % {"c": ", ".join(unknown)}, code="person.health")
    return {
        "id_number": rid.number,
        "name": name,
        "sex": rid.sex,
        "birth_date": rid.birth_date,
        "disability_category": disability_category,
        "disability_grade": disability_grade,
        "labour_capacity": labour_capacity,
        "health_conditions": conditions,
    }


@transaction.atomic
def person_create(
    *, actor, hukou_region, residence_region, phone: str = "", **identity: Any
) -> Person:
    fields = person_validate(**identity)
    if Person.objects.filter(id_number=fields["id_number"]).exists():
        raise InvalidPerson(_("该身份证号码已登记"), code="person.duplicate")
    person = Person.objects.create(
        hukou_region=hukou_region, residence_region=residence_region, phone=phone, **fields
    )
    audit_record(actor=actor, action="person.create", target=person, data={"name": person.name})
    return person


@transaction.atomic
def household_create(*, actor, number: str, region, address: str = "", rural: bool = False) -> Household:
    if Household.objects.filter(number=number).exists():
        raise InvalidMembership(_("家庭编号已存在：%(n)s") % {"n": number}, code="household.duplicate")
    household = Household.objects.create(number=number, region=region, address=address, rural=rural)
    audit_record(actor=actor, action="household.create", target=household, data={"number": number})
    return household


@transaction.atomic
def household_add_member(
    *, actor, household: Household, person: Person, relationship: str, joined_on: dt.date
) -> Membership:
    """Record that ``person`` joined ``household`` on ``joined_on``.

    Refused when the person is in another household at that date, or the date is impossible.
    """
    if relationship not in Relationship.values:
        raise InvalidMembership(_("未知的家庭关系：%(r)s") % {"r": relationship}, code="membership.relationship")
    if joined_on < person.birth_date:
        raise InvalidMembership(
            _("加入日期 %(j)s 早于出生日期 %(b)s") % {"j": joined_on, "b": person.birth_date},
            code="membership.date",
        )
    if joined_on > _today():
        raise InvalidMembership(_("加入日期 %(j)s 在未来") % {"j": joined_on}, code="membership.date")
    Person.objects.select_for_update().filter(pk=person.pk).first()
    overlapping = (
        Membership.objects.filter(person=person)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=joined_on))
        .select_related("household")
        .first()
    )
    if overlapping is not None:
        raise MembershipConflict(
            _("%(name)s 自 %(since)s 起已是家庭 %(hh)s 的成员，不能同时属于两个家庭")
            % {"name": person.name, "since": overlapping.joined_on, "hh": overlapping.household.number},
            household=overlapping.household.number,
        )
    if relationship == Relationship.HEAD and household.memberships.filter(
        relationship=Relationship.HEAD, left_on__isnull=True
    ).exists():
        raise InvalidMembership(_("该家庭已有户主"), code="membership.head")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                household=household, person=person, relationship=relationship, joined_on=joined_on
            )
    except IntegrityError:
        raise MembershipConflict(_("%(name)s 已属于另一个家庭") % {"name": person.name}) from None
    audit_record(
        actor=actor,
        action="household.member_join",
        target=household,
        data={"person_id": person.pk, "relationship": relationship, "joined_on": joined_on.isoformat()},
    )
    return membership


@transaction.atomic
def household_remove_member(
    *, actor, household: Household, person: Person, left_on: dt.date, reason: str
) -> Membership:
    """Record the date a person left. The membership row keeps its join date; history stays."""
    membership = (
        Membership.objects.select_for_update()
        .filter(household=household, person=person, left_on__isnull=True)
        .first()
    )
    if membership is None:
        raise InvalidMembership(_("%(name)s 当前不是该家庭成员") % {"name": person.name}, code="membership.absent")
    if left_on < membership.joined_on:
        raise InvalidMembership(
            _("离开日期 %(l)s 早于加入日期 %(j)s") % {"l": left_on, "j": membership.joined_on}, code="membership.date"
        )
    if not reason.strip():
        raise InvalidMembership(_("须填写离开原因"), code="membership.reason")
    if left_on > _today():
        raise InvalidMembership(_("离开日期 %(l)s 在未来") % {"l": left_on}, code="membership.date")
    membership.left_on = left_on
    membership.leave_reason = reason.strip()
    membership.save(update_fields=["left_on", "leave_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="household.member_leave",
        target=household,
        data={"person_id": person.pk, "left_on": left_on.isoformat(), "reason": reason},
    )
    return membership


@transaction.atomic
def household_member_join(
    *, actor, household_id: int, person_id: int, relationship: str, joined_on: dt.date
) -> Membership:
    """A staff member records a join: both the household and the person must lie in the actor's
    region (else they are "not found"), and only registry editors may do it."""
    require(actor, Action.HOUSEHOLD_MEMBER_CHANGE)
    household = household_get_for_user(user=actor, household_id=household_id)
    person = person_get_for_user(user=actor, person_id=person_id)
    return household_add_member(
        actor=actor, household=household, person=person, relationship=relationship, joined_on=joined_on
    )


@transaction.atomic
def household_member_leave(*, actor, household_id: int, person_id: int, left_on: dt.date, reason: str) -> Membership:
    """A staff member records a leave. The person is found through the household's history, so
    someone who has moved to another region can still be recorded as having left."""
    require(actor, Action.HOUSEHOLD_MEMBER_CHANGE)
    household = household_get_for_user(user=actor, household_id=household_id)
    membership = next((m for m in household.memberships.all() if m.person_id == person_id), None)
    if membership is None:
        raise PersonNotFound(
            _("该家庭没有此成员：%(p)s") % {"p": person_id}, person_id=str(person_id), household_id=str(household_id)
        )
    return household_remove_member(
        actor=actor, household=household, person=membership.person, left_on=left_on, reason=reason
    )
