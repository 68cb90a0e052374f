from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from adoption.dashboard.views import home

urlpatterns = [
    path("", include("adoption.dashboard.urls")),
    path("healthz", home.healthz, name="healthz"),
    path("registry/", include("adoption.registry.urls")),
    path("runs/", include("adoption.scans.urls")),
    path("reports/", include("adoption.dmarc_reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
