from django.contrib.auth import views as auth_views
from django.urls import path

from safetynet.web import views

app_name = "web"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("display/large/", views.large_type, name="large_type"),
    path("regions/", views.region_browse, name="regions"),
    path("regions/<str:code>/", views.region_browse, name="region"),
    path("households/", views.household_list, name="households"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("persons/", views.person_list, name="persons"),
    path("persons/<int:pk>/", views.person_detail, name="person"),
    path("persons/<int:pk>/full/", views.person_reveal, name="person_reveal"),
]
