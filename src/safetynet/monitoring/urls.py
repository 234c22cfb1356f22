from django.urls import path

from safetynet.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/visit/", views.alert_visit, name="visit"),
    path("alerts/<int:alert_id>/close/", views.alert_close, name="close"),
    path("alerts/<int:alert_id>/open-case/", views.alert_open_case, name="open_case"),
    path("households/<int:household_id>/", views.household_picture, name="household"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
