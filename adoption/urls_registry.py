"""URLs of the registry pages (import, export, lists)."""

from django.urls import path  # noqa: F401

app_name = "registry"
urlpatterns: list[object] = []
