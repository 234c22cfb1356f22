from django.urls import path

from safetynet.verification import views

app_name = "verification"

urlpatterns = [
    path("households/<int:household_id>/", views.household_checks, name="household"),
    path("households/<int:household_id>/run/", views.run, name="run"),
    path("households/<int:household_id>/authorisations/", views.authorisation_new, name="authorisation_new"),
    path("authorisations/<int:authorisation_id>/scan/", views.authorisation_scan, name="authorisation_scan"),
    path("reports/<int:report_id>/", views.report, name="report"),
    path("reports/<int:report_id>/pdf/", views.report_download, name="report_pdf"),
]
