"""Authentication for the API and the caller's own account (``GET /me``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from safetynet.accounts.services import api_token_authenticate

router = Router()


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer snt_…`` for machine clients; see ``accounts.services.api_token_issue``."""

    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(plaintext=token)
        if user is None:
            return None
        # Selectors scope by ``request.user``; a token caller is that user for this request.
        request.user = user
        return user


bearer_auth = ApiTokenAuth()


class SessionAuth(NinjaSessionAuth):
    """The browser session, CSRF-checked, for callers who are signed in (the OpenAPI scheme
    keeps ninja's name, ``SessionAuth``).

    ninja's own session auth checks CSRF before it knows who is calling, so a request with a
    wrong, expired or missing bearer token got 403 "CSRF check Failed". Here a caller who
    presented a bearer token, or who has no session, is simply not authenticated by this
    method, and the API answers 401 in its error format; a signed-in browser still needs its
    CSRF token for every write.
    """

    def __call__(self, request: HttpRequest):
        if "HTTP_AUTHORIZATION" in request.META:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)


session_auth = SessionAuth()


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    region: str | None
    region_name: str | None
    person_id: int | None


@router.get("/me", response=MeOut, summary="当前账户：用户名、角色与所属区划")
def me(request):
    user = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "region": user.region.code if user.region_id else None,
        "region_name": user.region.name if user.region_id else None,
        "person_id": user.person_id,
    }
