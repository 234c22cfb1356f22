from django.urls import path

from safetynet.payments import views

app_name = "payments"

urlpatterns = [
    path("", views.roll_list, name="rolls"),
    path("generate/", views.roll_generate, name="generate"),
    path("rolls/<int:roll_id>/", views.roll_detail, name="roll"),
    path("rolls/<int:roll_id>/step/", views.roll_step, name="step"),
    path("rolls/<int:roll_id>/lines/<int:line_id>/", views.line_action, name="line"),
    path("files/<int:bank_file_id>/", views.bank_file_download, name="bank_file"),
    path("files/<int:bank_file_id>/return/", views.return_upload, name="return"),
]
