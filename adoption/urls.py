from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import home

urlpatterns = [
    path("", include("adoption.urls_dashboard")),
    path("healthz", home.healthz, name="healthz"),
    path("registry/", include("adoption.urls_registry")),
    path("runs/", include("adoption.urls_runs")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
