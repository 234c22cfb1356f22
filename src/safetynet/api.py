"""The REST API under /api/v1/: one NinjaAPI, a router per app, typed errors mapped to 4xx.

Two ways in: the browser session (``accounts.api.session_auth``, CSRF-checked) and ``Authorization: Bearer``
tokens for machine clients (``accounts.api.ApiTokenAuth``). Every refusal, whether raised by a
service (a :class:`SafetyNetError`), by input validation or by authentication, answers with the
same body: ``{"code": ..., "message": ..., "details": {...}}``.
"""

from typing import Any

from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from safetynet.accounts.api import bearer_auth, session_auth
from safetynet.accounts.api import router as accounts_router
from safetynet.cases.api import router as cases_router
from safetynet.core.errors import SafetyNetError
from safetynet.monitoring.api import router as monitoring_router
from safetynet.payments.api import router as payments_router
from safetynet.portal.api import router as portal_router
from safetynet.portal.api import staff_router as portal_staff_router
from safetynet.regions.api import router as regions_router
from safetynet.registry.api import router as registry_router
from safetynet.resources.api import router as resources_router
from safetynet.rules.api import router as rules_router
from safetynet.sources.api import router as sources_router
from safetynet.supervision.api import router as supervision_router
from safetynet.verification.api import router as verification_router

#: The statuses an operation may refuse with, each carrying an :data:`ERROR_SCHEMA` body.
ERROR_STATUSES = {
    "400": "请求无效（业务规则拒绝）",
    "401": "未登录或令牌无效",
    "403": "当前角色无权执行此操作",
    "404": "不存在，或不在调用者的管辖范围内",
    "409": "与现有记录冲突",
    "422": "参数校验失败",
    "429": "请求过于频繁（公众接口按客户端限流）",
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "code": {"type": "string", "title": "Code"},
        "message": {"type": "string", "title": "Message"},
        "details": {"type": "object", "title": "Details", "additionalProperties": True},
    },
    "required": ["code", "message"],
}


class SafetyNetAPI(NinjaAPI):
    """Declares the shared error body on every operation, so the schema tells clients (and
    schemathesis) the truth about 4xx answers without each endpoint repeating it."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for methods in schema["paths"].values():
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        },
                    )
        return schema


api = SafetyNetAPI(
    title="SafetyNet API",
    version="1",
    description="精准社会救助平台接口。所有员工接口只返回调用者所属区划及其下级的数据。",
    auth=[bearer_auth, session_auth],
    urls_namespace="api-v1",
    docs_url="/docs",
)


def _error(request, status: int, code: str, message: str, details: dict[str, Any] | None = None):
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return api.create_response(request, body, status=status)


@api.exception_handler(SafetyNetError)
def _safetynet_error(request, exc: SafetyNetError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    fields = []
    for err in exc.errors:
        # ("body", "payload", "joined_on") → "joined_on"; ("query", "limit") → "limit"
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        fields.append(".".join(loc) or "body")
    errors = [
        {"field": f, "message": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for f, e in zip(fields, exc.errors, strict=True)
    ]
    message = _("参数校验失败：%(fields)s") % {"fields": "、".join(dict.fromkeys(fields))}
    return _error(request, 422, "invalid", message, {"errors": errors})


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc: AuthenticationError):
    return _error(request, 401, "unauthenticated", _("未登录或令牌无效"))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, f"http.{exc.status_code}", str(exc))


@api.exception_handler(OverflowError)
def _overflow(request, exc: OverflowError):
    # A number beyond what the database compares (a schema without bounds): the caller's error.
    return _error(request, 422, "invalid", _("参数超出允许范围"))


@api.exception_handler(DataError)
def _data_error(request, exc: DataError):
    # The database refused a value (out of range, malformed) that validation let through.
    return _error(request, 422, "invalid", _("参数超出允许范围"))


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return _error(request, 404, "not_found", _("未找到"))


def _register_routers() -> None:
    api.add_router("/", accounts_router, tags=["accounts"])
    api.add_router("/regions", regions_router, tags=["regions"])
    api.add_router("/", registry_router, tags=["registry"])
    api.add_router("/rules", rules_router, tags=["rules"])
    api.add_router("/cases", cases_router, tags=["cases"])
    api.add_router("/monitoring", monitoring_router, tags=["monitoring"])
    api.add_router("/verification", verification_router, tags=["verification"])
    api.add_router("/sources", sources_router, tags=["sources"])
    api.add_router("/resources", resources_router, tags=["resources"])
    api.add_router("/public/staff", portal_staff_router, tags=["public-staff"])
    api.add_router("/public", portal_router, tags=["public"])
    api.add_router("/payments", payments_router, tags=["payments"])
    api.add_router("/supervision", supervision_router, tags=["supervision"])


_register_routers()

__all__ = ["api"]
