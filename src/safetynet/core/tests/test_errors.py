"""No typed error ever becomes a 500: every SafetyNetError of every app, raised through a page and
through the API, answers with its own 4xx (or 503 for "not available yet") and its code."""

import importlib
import json

import pytest
from django.apps import apps
from django.test import RequestFactory

from safetynet.api import _safetynet_error
from safetynet.core.errors import SafetyNetError
from safetynet.core.pages import page_view
from safetynet.core.testing import Role, make_user


def _all_error_classes() -> list[type[SafetyNetError]]:
    for config in apps.get_app_configs():
        if config.name.startswith("safetynet."):
            try:
                importlib.import_module(f"{config.name}.errors")
            except ModuleNotFoundError:
                continue
    seen, todo = [], [SafetyNetError]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(seen), key=lambda c: f"{c.__module__}.{c.__qualname__}")


ERRORS = _all_error_classes()


def test_every_app_declares_its_errors():
    modules = {cls.__module__ for cls in ERRORS}
    for app in ("cases", "registry", "verification", "monitoring", "rules", "sources", "regions", "accounts"):
        assert f"safetynet.{app}.errors" in modules


@pytest.mark.django_db
@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: f"{c.__module__.split('.')[1]}.{c.__name__}")
def test_a_typed_error_is_a_clear_answer_on_a_page_and_in_the_api(cls, tree):
    error = cls("这是一条中文说明", code=f"{cls.code}")
    assert 400 <= error.status < 600 and error.status != 500

    @page_view
    def view(request):
        raise error

    request = RequestFactory().get("/x/")
    request.user = make_user(Role.STREET_OFFICER, tree.east_street)
    page = view(request)
    assert page.status_code == error.status
    assert "这是一条中文说明" in page.content.decode()

    answer = _safetynet_error(RequestFactory().get("/api/v1/x"), error)
    assert answer.status_code == error.status
    body = json.loads(answer.content)
    assert body["code"] == cls.code and body["message"] == "这是一条中文说明"
