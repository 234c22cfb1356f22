import datetime as dt
import json

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from safetynet.accounts.models import ApiToken, User
from safetynet.accounts.services import (
    api_token_authenticate,
    api_token_digest,
    api_token_issue,
    api_token_revoke,
    user_create,
    user_deactivate,
)
from safetynet.audit.models import AuditEvent
from safetynet.core.errors import SafetyNetError
from safetynet.core.roles import STAFF_ROLES, Role
from safetynet.core.testing import make_user

STRONG = "红旗渠-1960-修渠"


def _events(action):
    return list(AuditEvent.objects.filter(action=action))


def _refusal(fn, **kwargs) -> SafetyNetError:
    with pytest.raises(SafetyNetError) as info:
        fn(**kwargs)
    return info.value


def test_a_staff_account_is_created_with_an_argon2_hash_and_audited(tree, production_passwords):
    # given an admin of the city
    admin = make_user(Role.ADMIN, tree.city)
    # when they create a street officer for a street in their city
    user = user_create(
        actor=admin, username="wang.li", password=STRONG, role=Role.STREET_OFFICER, region=tree.east_street
    )
    # then the password is stored with argon2 and works, and the event names the actor
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password(STRONG)
    (event,) = _events("user.create")
    assert (event.actor_id, event.actor, event.target_id) == (admin.pk, admin.username, str(user.pk))
    assert event.data == {"username": "wang.li", "role": "street_officer", "region": tree.east_street.code, "person_id": None}
    # and the password appears nowhere in the log
    assert STRONG not in json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False)


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_a_staff_role_without_a_region_is_refused(db, role):
    error = _refusal(user_create, actor=None, username="x", password=STRONG, role=role, region=None)
    assert error.code == "account.region_required"
    assert not User.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_database_also_refuses_a_staff_account_without_a_region(db):
    with pytest.raises(IntegrityError):
        User.objects.create(username="x", role=Role.ADMIN, region=None)


def test_a_citizen_needs_no_region(db):
    user = user_create(actor=None, username="zhang.san", password=STRONG, role=Role.CITIZEN, region=None)
    assert user.region is None and user.role == "citizen"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"role": "king"}, "account.role_unknown"),
        ({"password": "12345678"}, "account.password_invalid"),  # common
        ({"password": "a1b2"}, "account.password_invalid"),  # short
        ({"username": "has space"}, "account.username_invalid"),
        ({"username": ""}, "account.username_invalid"),
    ],
)
def test_bad_input_is_refused_with_its_code_and_nothing_is_written(tree, kwargs, code):
    args = {"actor": None, "username": "li.si", "password": STRONG, "role": Role.CITIZEN, "region": None} | kwargs
    error = _refusal(user_create, **args)
    assert error.code == code
    assert not User.objects.exists()
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_a_weak_password_lists_the_reasons(db):
    error = _refusal(user_create, actor=None, username="li.si", password="password", role=Role.CITIZEN, region=None)
    assert error.status == 400
    assert error.as_dict()["details"]["reasons"]


def test_a_taken_username_is_refused_whatever_its_case(db):
    user_create(actor=None, username="li.si", password=STRONG, role=Role.CITIZEN, region=None)
    error = _refusal(user_create, actor=None, username="LI.SI", password=STRONG, role=Role.CITIZEN, region=None)
    assert (error.code, error.status) == ("account.username_taken", 409)
    assert User.objects.count() == 1


def test_an_admin_cannot_create_accounts_outside_their_region(tree):
    admin = make_user(Role.ADMIN, tree.east)
    error = _refusal(
        user_create, actor=admin, username="x", password=STRONG, role=Role.STREET_OFFICER, region=tree.west_street
    )
    assert error.code == "account.region_outside"
    assert not User.objects.filter(username="x").exists()


def test_only_admins_create_accounts(tree):
    officer = make_user(Role.COUNTY_APPROVER, tree.east)
    error = _refusal(
        user_create, actor=officer, username="x", password=STRONG, role=Role.STREET_OFFICER, region=tree.east_street
    )
    assert error.code == "forbidden"


def test_a_deactivated_user_cannot_log_in_and_the_change_is_audited_once(tree):
    admin = make_user(Role.ADMIN, tree.city)
    user = make_user(Role.STREET_OFFICER, tree.east_street)
    client = Client()
    client.force_login(user)
    # when the admin deactivates the account (twice)
    user_deactivate(actor=admin, user=user, reason="离职")
    user_deactivate(actor=admin, user=user, reason="离职")
    # then the existing session no longer works and one event records it
    assert client.get("/api/v1/me").status_code == 401
    (event,) = _events("user.deactivate")
    assert (event.actor_id, event.data["reason"]) == (admin.pk, "离职")


def test_a_token_is_stored_only_as_its_digest_and_authenticates_its_user(tree):
    provider = make_user(Role.DATA_PROVIDER, tree.city)
    admin = make_user(Role.ADMIN, tree.province)
    # when a token is issued
    issued = api_token_issue(actor=admin, user=provider, label="民政局夜间上传")
    # then the plaintext is nowhere in the database, only its SHA-256
    token = ApiToken.objects.get()
    assert token.digest == api_token_digest(issued.plaintext)
    dump = json.dumps(list(ApiToken.objects.values()) + list(AuditEvent.objects.values()), default=str)
    assert issued.plaintext not in dump
    (event,) = _events("api_token.issue")
    assert event.actor_id == admin.pk
    # and it authenticates its user over the API
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert response.status_code == 200
    assert response.json()["username"] == provider.username
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_expired_or_wrong_token_is_refused(tree):
    user = make_user(Role.DATA_PROVIDER, tree.city)
    revoked = api_token_issue(actor=None, user=user, label="a")
    api_token_revoke(actor=None, token=revoked.token)
    expiring = api_token_issue(actor=None, user=user, label="b", expires_at=timezone.now() + dt.timedelta(days=1))
    ApiToken.objects.filter(pk=expiring.token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    for plaintext in (revoked.plaintext, expiring.plaintext, "snt_guess", "", "x" * 500):
        assert api_token_authenticate(plaintext=plaintext) is None
        response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


def test_deactivating_a_user_revokes_their_tokens(tree):
    user = make_user(Role.DATA_PROVIDER, tree.city)
    issued = api_token_issue(actor=None, user=user, label="a")
    user_deactivate(actor=None, user=user)
    assert api_token_authenticate(plaintext=issued.plaintext) is None
    assert ApiToken.objects.get().revoked_at is not None


def test_the_create_user_command_creates_a_staff_account(tree, capsys):
    call_command("create_user", "--username", "zhao", "--role", "county_approver", "--region", tree.east.code, "--password", STRONG)
    user = User.objects.get(username="zhao")
    assert (user.role, user.region) == ("county_approver", tree.east)
    assert AuditEvent.objects.filter(action="user.create", actor="system").count() == 1


def test_the_create_user_command_prompts_for_the_password(tree, monkeypatch):
    answers = iter([STRONG, STRONG])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("create_user", "--username", "qian", "--role", "citizen")
    assert User.objects.get(username="qian").check_password(STRONG)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "admin"], "account.region_required"),
        (["--role", "admin", "--region", "123456789012"], "区划不存在"),
        (["--role", "citizen", "--password", "123"], "account.password_invalid"),
    ],
)
def test_the_create_user_command_reports_refusals(tree, args, message):
    args = ["--username", "sun", *args]
    if "--password" not in args:
        args += ["--password", STRONG]
    with pytest.raises(CommandError, match=message):
        call_command("create_user", *args)
    assert not User.objects.filter(username="sun").exists()


def test_the_issue_api_token_command_prints_a_working_token(tree, capsys):
    user = make_user(Role.DATA_PROVIDER, tree.city)
    call_command("issue_api_token", "--username", user.username, "--label", "批量上传")
    plaintext = capsys.readouterr().out.strip()
    assert api_token_authenticate(plaintext=plaintext) == user
