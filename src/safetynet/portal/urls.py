from django.urls import path

from safetynet.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("self-check/", views.self_check, name="self_check"),
    path("policy/", views.policy, name="policy"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/track/", views.track, name="track_form"),
    path("complaints/track/<str:number>/", views.track, name="track"),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency/notices/", views.notices, name="notices"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/aggregates.csv", views.open_data_csv, name="open_data_csv"),
    path("open-data/aggregates.json", views.open_data_json, name="open_data_json"),
    path("staff/complaints/", views.queue, name="queue"),
    path("staff/complaints/statistics/", views.statistics, name="statistics"),
    path("staff/complaints/<int:complaint_id>/", views.complaint_detail, name="complaint"),
    path("staff/complaints/<int:complaint_id>/attachment/", views.attachment, name="attachment"),
]
