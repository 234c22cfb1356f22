from django.urls import path

from safetynet.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("scan/", views.scan, name="scan"),
    path("anomalies/<int:anomaly_id>/", views.anomaly_detail, name="anomaly"),
    path("anomalies/<int:anomaly_id>/close/", views.anomaly_close, name="close"),
    path("anomalies/<int:anomaly_id>/assign/", views.anomaly_assign, name="assign"),
    path("anomalies/<int:anomaly_id>/recovery/", views.recovery_create, name="recovery_create"),
    path("recovery/", views.recovery_list, name="recoveries"),
    path("recovery/<int:order_id>/", views.recovery_detail, name="recovery"),
    path("recovery/<int:order_id>/instalment/", views.recovery_instalment, name="instalment"),
    path("recovery/<int:order_id>/write-off/", views.recovery_write_off, name="write_off"),
]
