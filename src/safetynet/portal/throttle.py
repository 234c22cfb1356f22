"""Abuse limits (限流) for every public endpoint: per-client counters in Django's cache through
django-ratelimit. A client over its limit gets :class:`RateLimited` (429), in the API's JSON error
format or as a page in plain words; nothing is served from a half-done request.

The client is the remote address (behind a reverse proxy, set it from the proxy's header in the
server's configuration, not here). Limits are per minute, per group of endpoints.
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


def client_key(group: str, request) -> str:
    """The client a request is counted against: its remote address (all clients without one —
    only in-process callers — share one counter)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def throttle(request, group: str) -> None:
    """Count this request against ``group`` for its client; raise :class:`RateLimited` past the limit."""
    if is_ratelimited(request, group=f"portal.{group}", key=client_key, rate=rate_for(group), method=ALL, increment=True):
        raise RateLimited(
            _("请求过于频繁，请稍等一分钟再试。"), group=group, limit=rate_for(group)
        )
