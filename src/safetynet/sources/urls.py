from django.urls import path

from safetynet.sources import views

app_name = "sources"

urlpatterns = [
    path("", views.source_list, name="list"),
    path("batches/<str:batch_id>/", views.batch_detail, name="batch"),
    path("<str:source>/", views.source_detail, name="detail"),
]
