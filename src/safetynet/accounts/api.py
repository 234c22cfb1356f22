"""Authentication for the API and the caller's own account (``GET /me``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer

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
