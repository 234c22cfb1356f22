"""Writes to accounts: creating and deactivating users, issuing and revoking API tokens.

Every change is audited with its actor; passwords and token plaintexts never reach the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.accounts.errors import InvalidAccount, RegionOutsideActor, UsernameTaken, WeakPassword
from safetynet.accounts.models import ApiToken, User
from safetynet.audit.services import audit_record
from safetynet.core.permissions import Action, require
from safetynet.core.roles import STAFF_ROLES, Role

TOKEN_PREFIX = "snt_"


def _check_actor_may_manage(actor: Any | None, region: Any | None, *, action: str) -> None:
    """``actor=None`` is the system itself (the command line run by an operator)."""
    if actor is None:
        return
    require(actor, Action.USERS_MANAGE)
    if region is not None and (actor.region is None or not actor.region.contains(region)):
        raise RegionOutsideActor(
            _("只能管理本辖区内的账户：%(r)s 不在 %(a)s 之内") % {"r": region, "a": actor.region},
            region=region.code,
        )


@transaction.atomic
def user_create(
    *,
    actor: Any | None,
    username: str,
    password: str,
    role: str,
    region: Any | None,
    display_name: str = "",
    phone: str = "",
    person: Any | None = None,
) -> User:
    """Create an account. Staff roles must be bound to a region (the database holds that rule
    too); the password must pass the configured validators and is stored with argon2."""
    username = (username or "").strip()
    if role not in Role.values:
        raise InvalidAccount(_("未知的角色：%(r)s") % {"r": role}, code="account.role_unknown", role=role)
    if role in STAFF_ROLES and region is None:
        raise InvalidAccount(
            _("工作人员账户必须指定所属区划"), code="account.region_required", role=role
        )
    try:
        User.username_validator(username)
    except DjangoValidationError:
        raise InvalidAccount(
            _("用户名只能包含字母、数字和 @/./+/-/_"), code="account.username_invalid", username=username
        ) from None
    if not username or len(username) > User._meta.get_field("username").max_length:
        raise InvalidAccount(_("用户名长度须为1至150个字符"), code="account.username_invalid", username=username)
    _check_actor_may_manage(actor, region, action="user.create")
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(_("用户名已被使用：%(u)s") % {"u": username}, username=username)
    candidate = User(username=username, role=role, region=region, display_name=display_name, phone=phone)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise WeakPassword(_("密码不符合要求：%(m)s") % {"m": "；".join(exc.messages)}, reasons=exc.messages) from None
    candidate.person = person
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save(force_insert=True)
    except IntegrityError:
        # Two creations racing for one username: the unique index decides.
        raise UsernameTaken(_("用户名已被使用：%(u)s") % {"u": username}, username=username) from None
    audit_record(
        actor=actor,
        action="user.create",
        target=candidate,
        data={
            "username": username,
            "role": role,
            "region": region.code if region is not None else None,
            "person_id": getattr(person, "pk", None),
        },
    )
    return candidate


@transaction.atomic
def user_deactivate(*, actor: Any | None, user: User, reason: str = "") -> User:
    """Stop an account from signing in (sessions lapse at the next request, tokens are revoked).
    The row stays: the audit log and case history point at it. Deactivating twice changes nothing."""
    _check_actor_may_manage(actor, user.region, action="user.deactivate")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        actor=actor, action="user.deactivate", target=user, data={"reason": reason, "tokens_revoked": revoked}
    )
    return user


@dataclass(frozen=True)
class IssuedToken:
    """``plaintext`` is shown to the caller once and stored nowhere."""

    token: ApiToken
    plaintext: str


def api_token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def api_token_issue(
    *, actor: Any | None, user: User, label: str, expires_at: dt.datetime | None = None
) -> IssuedToken:
    label = (label or "").strip()
    if not label:
        raise InvalidAccount(_("须说明令牌用途"), code="api_token.label_required")
    if not user.is_active:
        raise InvalidAccount(_("账户已停用，不能签发令牌"), code="account.inactive", username=user.username)
    now = timezone.now()
    if expires_at is None:
        # Every token expires: a leaked one stops working on its own.
        expires_at = now + dt.timedelta(days=settings.SAFETYNET_API_TOKEN_DAYS)
    if expires_at <= now:
        raise InvalidAccount(_("过期时间须在将来"), code="api_token.expiry")
    if expires_at > now + dt.timedelta(days=366):
        raise InvalidAccount(_("令牌有效期不能超过一年"), code="api_token.expiry")
    _check_actor_may_manage(actor, user.region, action="api_token.issue")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        label=label[:64],
        prefix=plaintext[: len(TOKEN_PREFIX) + 6],
        digest=api_token_digest(plaintext),
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        action="api_token.issue",
        target=token,
        data={
            "user_id": user.pk,
            "username": user.username,
            "label": token.label,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat(),
        },
    )
    return IssuedToken(token, plaintext)


@transaction.atomic
def api_token_rotate(*, actor: Any | None, token: ApiToken) -> IssuedToken:
    """A fresh token with the same owner and label replaces ``token``, which is revoked in the
    same transaction: the client swaps one for the other."""
    token = ApiToken.objects.select_for_update(of=("self",)).select_related("user__region").get(pk=token.pk)
    if token.revoked_at is not None:
        raise InvalidAccount(_("令牌已吊销，不能轮换"), code="api_token.revoked", prefix=token.prefix)
    issued = api_token_issue(actor=actor, user=token.user, label=token.label)
    api_token_revoke(actor=actor, token=token)
    audit_record(
        actor=actor,
        action="api_token.rotate",
        target=issued.token,
        data={"old_prefix": token.prefix, "new_prefix": issued.token.prefix},
    )
    return issued


def login_unlock(*, actor: Any | None, username: str = "", ip_address: str = "") -> int:
    """Lift a sign-in lock-out (the account's, the address's, or both); returns how many
    attempt records were cleared. Audited: an unlock is a decision someone answers for."""
    if actor is not None:
        require(actor, Action.USERS_MANAGE)
    username, ip_address = (username or "").strip(), (ip_address or "").strip()
    if not username and not ip_address:
        raise InvalidAccount(_("须指定用户名或地址"), code="login.unlock_target")
    with transaction.atomic():
        cleared = 0
        if username:
            cleared += axes_reset(username=username)
        if ip_address:
            cleared += axes_reset(ip=ip_address)
        audit_record(
            actor=actor,
            action="login.unlock",
            target_type="accounts.user",
            target_id=username,
            data={"username": username, "ip_address": ip_address, "cleared": cleared},
        )
    return cleared


@transaction.atomic
def api_token_revoke(*, actor: Any | None, token: ApiToken) -> ApiToken:
    _check_actor_may_manage(actor, token.user.region, action="api_token.revoke")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoke", target=token, data={"prefix": token.prefix})
    return token


def api_token_authenticate(*, plaintext: str) -> User | None:
    """The active user a presented token belongs to, or ``None``; notes when it was last used."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 100:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user", "user__region")
        .filter(digest=api_token_digest(plaintext), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
