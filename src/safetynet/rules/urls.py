from django.urls import path

from safetynet.rules import views

app_name = "rules"

urlpatterns = [
    path("simulate/", views.simulate_page, name="simulate"),
    path("simulate/download/<str:filename>", views.simulate_download, name="simulate_download"),
    path("parameters/", views.parameters_page, name="parameters"),
    path("changes/", views.changes_page, name="changes"),
    path("changes/propose/", views.change_propose, name="propose"),
    path("changes/<int:change_id>/approve/", views.change_decide, {"decision": "approve"}, name="approve"),
    path("changes/<int:change_id>/reject/", views.change_decide, {"decision": "reject"}, name="reject"),
]
