"""URLs of the registry pages (list, import, export), namespace ``registry``."""

from django.urls import path

from adoption.registry import views as registry

app_name = "registry"
urlpatterns = [
    path("", registry.domain_list, name="list"),
    path("import/", registry.import_upload, name="import"),
    path("import/<int:pk>/", registry.import_preview, name="import_preview"),
    path("import/<int:pk>/apply/", registry.import_apply, name="import_apply"),
    path("import/<int:pk>/discard/", registry.import_discard, name="import_discard"),
    path("import/<int:pk>/errors.csv", registry.import_errors, name="import_errors"),
    path("export.csv", registry.export_csv, name="export_csv"),
    path("export.json", registry.export_json, name="export_json"),
]
