from django.urls import path

from safetynet.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("breaches/", views.breaches, name="breaches"),
    path("bulk/", views.bulk, name="bulk"),
    path("apply/", views.apply, name="apply"),
    path("proxy/", views.proxy_apply, name="proxy"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/move/", views.case_move, name="move"),
    path("<int:case_id>/visit/", views.case_visit, name="visit"),
    path("<int:case_id>/check/", views.case_check, name="check"),
    path("<int:case_id>/objections/", views.case_objection, name="objection"),
    path("<int:case_id>/objections/resolve/", views.objection_resolve, name="resolve"),
    path("<int:case_id>/progress/", views.progress, name="progress"),
    path("<int:case_id>/appeal/", views.appeal, name="appeal"),
]
