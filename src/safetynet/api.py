"""The REST API under /api/v1/: one NinjaAPI, a router per app, typed errors mapped to 4xx."""

from ninja import NinjaAPI
from ninja.security import django_auth

from safetynet.core.errors import SafetyNetError

api = NinjaAPI(
    title="SafetyNet API",
    version="1",
    description="精准社会救助平台接口。所有员工接口只返回调用者所属区划及其下级的数据。",
    auth=django_auth,
    urls_namespace="api-v1",
    docs_url="/docs",
)


@api.exception_handler(SafetyNetError)
def _safetynet_error(request, exc: SafetyNetError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _register_routers() -> None:
    from safetynet.cases.api import router as cases_router
    from safetynet.regions.api import router as regions_router
    from safetynet.registry.api import router as registry_router
    from safetynet.rules.api import router as rules_router

    api.add_router("/regions", regions_router, tags=["regions"])
    api.add_router("/", registry_router, tags=["registry"])
    api.add_router("/rules", rules_router, tags=["rules"])
    api.add_router("/cases", cases_router, tags=["cases"])


_register_routers()

__all__ = ["api"]
