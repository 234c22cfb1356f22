"""Errors in plain Chinese: unknown pages, refusals, a crash, and typed errors that are never a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from safetynet.core.testing import Role, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def test_an_unknown_address_gets_a_chinese_404(client, tree):
    client.force_login(make_user(Role.STREET_OFFICER, tree.east_street))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode() and "Not Found" not in response.content.decode()


def test_a_stale_form_gets_a_chinese_csrf_page(tree):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.STREET_OFFICER, tree.east_street))
    response = client.post("/cases/bulk/", {"move": "submitted:accepted"})
    assert response.status_code == 403 and "页面已过期" in response.content.decode()


def test_the_500_page_is_chinese_and_stands_alone():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "系统暂时出错" in html and "Server Error" not in html


def test_a_png_uploaded_as_a_reform_file_is_a_field_error_not_a_500(client, tree):
    client.force_login(make_user(Role.ANALYST, tree.city))
    response = client.post("/rules/simulate/", {
        "file": SimpleUploadedFile("reform.png", PNG, content_type="image/png"),
        "form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0",
    })
    assert response.status_code == 400
    assert "改革方案文件格式无效" in response.content.decode()
