"""Middleware of the platform's own: input limits at the door and security headers.

``InputLimitsMiddleware`` refuses control and bidirectional-override characters in any text a
request carries and answers an oversized body, in the API's JSON error format under ``/api/``
and in plain Chinese elsewhere. ``SecurityHeadersMiddleware`` adds the Content-Security-Policy
and ``Cache-Control: no-store`` on everything that is not a static file: every page and answer
of the platform may carry personal data.
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from safetynet.core.errors import SafetyNetError
from safetynet.core.inputs import find_forbidden, forbidden_character

API_PREFIX = "/api/"


def _refuse(request, status: int, code: str, message: str, details: dict | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        body = {"code": code, "message": message}
        if details:
            body["details"] = details
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _too_large(request) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _refuse(
        request,
        413,
        "request.too_large",
        _("请求内容过大（上限 %(mb).1f MB）") % {"mb": limit / 1024 / 1024},
        {"max_bytes": limit},
    )


def _form_forbidden(data) -> list[tuple[str, str]]:
    found = []
    for key, values in data.lists():
        found += find_forbidden(key, key)
        for value in values:
            found += find_forbidden(value, key)
    return found


class InputLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self._check(request)
        return refusal or self.get_response(request)

    def _check(self, request) -> HttpResponse | None:
        content_type = request.META.get("CONTENT_TYPE", "")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        is_upload = content_type.startswith("multipart/form-data")
        if limit and not is_upload and length > limit:
            return _too_large(request)
        found: list[tuple[str, str]] = []
        found += _form_forbidden(request.GET)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                if content_type.startswith("application/json") and length:
                    try:
                        payload = json.loads(request.body)
                    except (ValueError, UnicodeDecodeError):
                        payload = None  # the API's own parser answers malformed JSON
                    found += find_forbidden(payload)
                elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                    found += _form_forbidden(request.POST)
                    for upload in request.FILES.values():
                        bad = forbidden_character(upload.name or "")
                        if bad:
                            found.append(("file name", bad))
            except RequestDataTooBig:
                return _too_large(request)
            except SafetyNetError as e:
                # An upload handler refused the body while it was read here (e.g. over the size
                # cap): answer with the typed error, as the view would have.
                return _refuse(request, e.status, e.code, e.message, e.as_dict().get("details"))
        if found:
            # The API's validation body (api._validation_error's shape), one entry per field.
            message = _("输入含有不允许的控制字符或文字方向控制符（%(char)s，字段 %(field)s）") % {
                "char": found[0][1],
                "field": found[0][0],
            }
            errors = [
                {"field": f, "message": _("不允许的字符 %(c)s") % {"c": c}, "type": "forbidden_character"}
                for f, c in dict(found).items()
            ]
            api = request.path.startswith(API_PREFIX)
            return _refuse(request, 422 if api else 400, "invalid", message, {"errors": errors})
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return _too_large(request)
        return None


class SecurityHeadersMiddleware:
    """A strict CSP and ``no-store`` on every answer that is not a static file.

    Scripts run only from this origin or when they carry the request's nonce
    (``<script nonce="{{ request.csp_nonce }}">``): an injected ``<script>`` or ``onclick=`` does
    not run. ``json_script`` data blocks are not scripts and need no nonce."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = settings.SAFETYNET_CSP

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if self.csp:
            response.headers.setdefault("Content-Security-Policy", self.csp.format(nonce=request.csp_nonce))
        if not request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            response.headers["Cache-Control"] = "no-store"
            response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
