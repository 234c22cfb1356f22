from django.urls import path

from safetynet.sources import views

app_name = "sources"

urlpatterns = [
    path("", views.source_list, name="list"),
    path("link-reviews/", views.link_reviews, name="link_reviews"),
    path("link-reviews/<int:review_id>/", views.link_review_decision, name="link_review_decide"),
    path("batches/<str:batch_id>/", views.batch_detail, name="batch"),
    path("batches/<str:batch_id>/linkage-model/", views.batch_linkage_model, name="batch_linkage_model"),
    path("batches/<str:batch_id>/decision/", views.batch_decision, name="batch_decide"),
    path("<str:source>/", views.source_detail, name="detail"),
]
