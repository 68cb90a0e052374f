"""URLs of the DMARC aggregate report pages, namespace ``dmarc_reports``, under ``/reports/``."""

from django.urls import path

from adoption.dashboard.views import domain_mail
from adoption.dmarc_reports import discovery_views
from adoption.dmarc_reports import views as ingest_views

app_name = "dmarc_reports"
urlpatterns = [
    # Ingest: the staff upload page.
    path("upload/", ingest_views.upload, name="upload"),
    # Reading pages (figures, sources, discovery) go below.
    path("discovered/", discovery_views.discovered, name="discovered"),
    path("domains/<str:name>/sources.csv", domain_mail.sources_csv, name="sources_csv"),
    path(
        "domains/<str:name>/reporters.csv",
        domain_mail.reporters_csv,
        name="reporters_csv",
    ),
]
