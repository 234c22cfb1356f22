from django.urls import include, path

from safetynet.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cases/", include("safetynet.cases.urls")),
    path("sources/", include("safetynet.sources.urls")),
    path("verification/", include("safetynet.verification.urls")),
    path("rules/", include("safetynet.rules.urls")),
    path("monitoring/", include("safetynet.monitoring.urls")),
    path("resources/", include("safetynet.resources.urls")),
    path("public/", include("safetynet.portal.urls")),
    path("payments/", include("safetynet.payments.urls")),
    path("supervision/", include("safetynet.supervision.urls")),
    path("", include("safetynet.web.urls")),
]
