from django.urls import path

from safetynet.resources import views

app_name = "resources"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("providers/<int:provider_id>/new/", views.resource_new, name="resource_new"),
    path("items/<int:resource_id>/edit/", views.resource_edit, name="resource_edit"),
    path("changes/", views.changes, name="changes"),
    path("changes/<int:change_id>/review/", views.change_review, name="change_review"),
    path("households/", views.queue, name="queue"),
    path("households/<int:household_id>/", views.household, name="household"),
    path("households/<int:household_id>/needs/refresh/", views.needs_refresh, name="needs_refresh"),
    path("households/<int:household_id>/needs/record/", views.need_record, name="need_record"),
    path("households/<int:household_id>/package/", views.package_propose, name="package_propose"),
    path("packages/<int:package_id>/adjust/", views.package_adjust, name="package_adjust"),
    path("packages/<int:package_id>/accept/", views.package_accept, name="package_accept"),
    path("workbench/", views.workbench, name="workbench"),
    path("referrals/<int:referral_id>/act/", views.referral_act, name="referral_act"),
    path("mine/", views.mine, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
