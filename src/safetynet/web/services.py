"""Writes of the web shell: an account's display preference."""

from __future__ import annotations

from django.db import transaction

from safetynet.audit.services import audit_record
from safetynet.web.models import DisplayPreference


@transaction.atomic
def display_preference_set(*, actor, large_type: bool) -> DisplayPreference:
    """Remember 大字模式 for the signed-in account, on every device it signs in from."""
    pref, _created = DisplayPreference.objects.update_or_create(user=actor, defaults={"large_type": large_type})
    audit_record(actor=actor, action="web.display_preference", target=pref, data={"large_type": large_type})
    return pref


def display_preference_large(*, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return DisplayPreference.objects.filter(user=user, large_type=True).exists()
