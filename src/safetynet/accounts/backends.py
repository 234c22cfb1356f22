"""Throttling of sign-ins by address (防撞库): one address failing against many usernames.

django-axes locks a username after ``AXES_FAILURE_LIMIT`` failures from any address. This backend,
placed before axes, adds the other half: an address whose failures across all usernames within
the cool-off reach ``SAFETYNET_LOGIN_ADDRESS_FAILURE_LIMIT`` is refused too, whichever username
it tries next. The count is axes' own record of attempts, so an admin's ``unlock-login --ip``
clears it.
"""

from __future__ import annotations

from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_client_ip_address, get_cool_off, get_lockout_message
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def address_failures(ip_address: str) -> int:
    since = timezone.now() - get_cool_off()
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return total or 0


class AddressThrottleBackend:
    """Authenticates nobody; refuses an address over its failure limit. It has no
    ``get_user``, so Django never binds a session to it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        ip = get_client_ip_address(request)
        if not ip or address_failures(ip) < settings.SAFETYNET_LOGIN_ADDRESS_FAILURE_LIMIT:
            return None
        kwargs.get("response_context", {})["error"] = get_lockout_message()
        # AxesMiddleware turns this flag into the lock-out page (429).
        request.axes_locked_out = True
        raise AxesBackendPermissionDenied("too many failed sign-ins from this address")
