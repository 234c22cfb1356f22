"""Abuse limits (限流) for every public endpoint: per-client counters in Django's cache through
django-ratelimit. A client over its limit gets :class:`RateLimited` (429), in the API's JSON error
format or as a page in plain words; nothing is served from a half-done request.

The client is the remote address (behind a reverse proxy, set it from the proxy's header in the
server's configuration, not here), or the account when signed in (counted at a higher rate).
Limits are per minute, per group of endpoints.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from safetynet.portal.errors import RateLimited

#: Requests per minute per client, by group. Overridable as ``SAFETYNET_PUBLIC_RATES``.
RATES: dict[str, str] = {
    # every public page, on top of its own group below
    "pages": "120/m",
    "selfcheck": "30/m",
    "policy": "30/m",
    "complaint_file": "5/m",
    "complaint_track": "20/m",
    "transparency": "60/m",
    "windows": "60/m",
}


def rate_for(group: str) -> str:
    return getattr(settings, "SAFETYNET_PUBLIC_RATES", {}).get(group, RATES[group])


#: A signed-in account (a window officer running self-checks for the residents in front of them)
#: is counted on its own, at this many times the anonymous rate.
SIGNED_IN_FACTOR = 10


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def client_key(group: str, request) -> str:
    """The client a request is counted against: the signed-in account, else the remote address
    (all clients without one — only in-process callers — share one counter)."""
    if _signed_in(request):
        return f"user:{request.user.pk}"
    return "ip:" + (request.META.get("REMOTE_ADDR") or "unknown")


def _rate(group: str, request) -> str:
    rate = rate_for(group)
    if _signed_in(request):
        count, period = rate.split("/", 1)
        return f"{int(count) * SIGNED_IN_FACTOR}/{period}"
    return rate


def throttle(request, group: str) -> None:
    """Count this request against ``group`` for its client; raise :class:`RateLimited` past the limit."""
    rate = _rate(group, request)
    if is_ratelimited(request, group=f"portal.{group}", key=client_key, rate=rate, method=ALL, increment=True):
        raise RateLimited(_("请求过于频繁，请稍等一分钟再试。"), group=group, limit=rate)
