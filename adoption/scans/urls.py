"""URLs of the scan run pages."""

from django.urls import path

from adoption.scans import views as runs

app_name = "runs"
urlpatterns = [
    path("", runs.run_list, name="list"),
    path("scan/", runs.scan_now, name="scan_now"),
    path("<int:run_id>/", runs.run_detail, name="detail"),
    path("<int:run_id>/progress.json", runs.run_progress, name="progress"),
    path("<int:run_id>/resume/", runs.run_resume, name="resume"),
    path("<int:run_id>/subscribe/", runs.run_subscribe, name="subscribe"),
    path("<int:run_id>/report.csv", runs.report_csv, name="report_csv"),
]
