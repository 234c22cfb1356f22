"""Sessions end after a working day without use (空闲超时).

``SESSION_COOKIE_AGE`` is the idle limit. The expiry is moved forward as the officer works, but
at most every few minutes, so an ordinary page view does not write the session row each time.
"""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

REFRESH_SECONDS = 300
KEY = "_safetynet_seen"


@receiver(user_logged_in)
def _mark_seen_at_login(sender, request, user, **kwargs):
    # Signing in saves the session anyway: note the time then, so the first pages do not
    # write it again.
    if request is not None and hasattr(request, "session"):
        request.session[KEY] = int(time.time())


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            if now - int(request.session.get(KEY, 0)) >= REFRESH_SECONDS:
                # A modified session is saved with a fresh expiry of SESSION_COOKIE_AGE.
                request.session[KEY] = now
        return self.get_response(request)
