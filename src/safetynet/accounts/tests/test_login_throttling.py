from django.conf import settings
from django.test import Client
from django.urls import reverse

from safetynet.core.roles import Role
from safetynet.core.testing import PASSWORD, make_user

ADDRESS = "203.0.113.7"


def _login(client: Client, username: str, password: str):
    return client.post(reverse("web:login"), {"username": username, "password": password}, REMOTE_ADDR=ADDRESS)


def test_the_right_password_logs_in_before_any_failure(tree):
    user = make_user(Role.STREET_OFFICER, tree.east_street)
    client = Client()
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_after_the_failure_limit_even_the_right_password_is_refused(tree):
    # given AXES_FAILURE_LIMIT wrong passwords for one account from one address
    user = make_user(Role.STREET_OFFICER, tree.east_street)
    client = Client()
    statuses = [_login(client, user.username, "wrong-password").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    # (the form is shown again until the limit-th failure, which already answers "locked")
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    # when the right password is tried
    response = _login(client, user.username, PASSWORD)
    # then it is refused as locked out and no session is opened
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_failure_short_of_the_limit_still_lets_the_right_password_in(tree):
    user = make_user(Role.STREET_OFFICER, tree.east_street)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, user.username, "wrong-password")
    assert _login(client, user.username, PASSWORD).status_code == 302


def test_the_lock_is_per_account(tree):
    # given another account locked from the same address
    limit_reached_for = make_user(Role.STREET_OFFICER, tree.east_street).username
    victim = make_user(Role.STREET_OFFICER, tree.east_street)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, limit_reached_for, "wrong-password")
    assert _login(client, victim.username, PASSWORD).status_code == 302
