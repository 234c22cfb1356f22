"""Display helpers for person facts: age, disability, health conditions, navigation."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.registry.models import DisabilityCategory, HealthCondition
from safetynet.web import navigation
from safetynet.web.services import display_preference_large

register = template.Library()


def age_on(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


@register.filter
def age(person) -> str:
    """``45岁``; for someone who has died, the age at death and a note."""
    if person.death_date:
        return _("%(age)d岁（已故）") % {"age": age_on(person.birth_date, person.death_date)}
    return _("%(age)d岁") % {"age": age_on(person.birth_date, timezone.localdate())}


@register.filter
def disability(person) -> str:
    if not person.disability_category:
        return _("无")
    label = DisabilityCategory(person.disability_category).label
    return _("%(category)s%(grade)d级") % {"category": label, "grade": person.disability_grade}


@register.filter
def health(person) -> str:
    codes = person.health_conditions or []
    if not codes:
        return _("无登记疾病")
    labels = [str(HealthCondition(c).label) if c in HealthCondition.values else c for c in codes]
    return _("、").join(labels)


@register.simple_tag
def nav_links(user):
    return navigation.links_for(user)


@register.filter
def can_reveal(user) -> bool:
    return navigation.reads_registry(user)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template, or ``""``."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.simple_tag(takes_context=True)
def large_type(context) -> bool:
    """Whether the signed-in account reads in 大字模式."""
    request = context.get("request")
    return display_preference_large(user=getattr(request, "user", None))
