"""The staff upload page: several files at once, each listed with what became of it."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from adoption.models import DmarcReport

from .reportfiles import MLIT, SOUMU, emailed, gzipped, xml

pytestmark = pytest.mark.django_db
URL = "/reports/upload/"


def post(client: Client, *files: tuple[str, bytes]):
    uploads = [SimpleUploadedFile(name, data) for name, data in files]
    return client.post(URL, {"reports": uploads}, HTTP_ACCEPT_LANGUAGE="en")


def rows(response) -> list[tuple[str, str]]:
    """(file, status) per row of the results table."""
    return [
        (row["outcome"].label, str(row["outcome"].status))
        for row in response.context["results"]
    ]


def test_the_url_is_mounted_under_reports():
    assert reverse("dmarc_reports:upload") == URL


def test_anonymous_users_are_sent_to_log_in(client: Client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_viewers_who_are_not_staff_are_refused(viewer: Client):
    assert viewer.get(URL).status_code == 403
    assert post(viewer, ("a.xml", xml(SOUMU))).status_code == 403
    assert not DmarcReport.objects.exists()


def test_several_files_are_stored_and_each_is_listed(staff: Client, registry):
    response = post(
        staff,
        ("soumu.xml.gz", gzipped(xml(SOUMU))),
        ("mlit.eml", emailed(xml(MLIT))),
        ("again.xml", xml(SOUMU)),
        ("notes.txt", b"hello"),
    )
    assert response.status_code == 200
    assert [status for _label, status in rows(response)] == [
        "accepted",
        "accepted",
        "duplicate",
        "rejected",
    ]
    assert rows(response)[0][0] == "soumu.xml.gz"
    assert DmarcReport.objects.count() == 2
    page = response.content.decode()
    assert "4 records, 1,249 messages for soumu.go.jp from receiver.example.jp." in page
    assert "Already stored" in page
    assert "Not a usable DMARC aggregate report" in page


@override_settings(DMARC_MAX_UPLOAD_BYTES=2048)
def test_a_file_over_the_limit_is_listed_as_rejected_and_the_others_stored(
    staff: Client, registry
):
    response = post(
        staff, ("big.xml", xml(SOUMU)), ("small.xml.gz", gzipped(xml(MLIT)))
    )
    assert [status for _label, status in rows(response)] == ["rejected", "accepted"]
    assert "the limit is 0.0 MB" in response.content.decode()
    assert list(DmarcReport.objects.values_list("policy_domain", flat=True)) == [
        "mlit.go.jp"
    ]


def test_names_from_the_upload_and_the_report_are_escaped(staff: Client, registry):
    hostile = xml(SOUMU).replace(
        b"<org_name>receiver.example.jp",
        b"<org_name>&lt;script&gt;alert(1)&lt;/script&gt;",
    )
    response = post(staff, ("<img src=x onerror=alert(1)>.xml", hostile))
    page = response.content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page
    assert "<img src=x" not in page


def test_submitting_no_file_shows_the_form_error(staff: Client):
    response = staff.post(URL, {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["form"].errors["reports"]


def test_a_zip_of_several_files_is_read_file_by_file(staff: Client, registry):
    """A report's own zip holds one file (RFC 7489 §7.2.1.1), but staff bundle many reports
    into one zip to upload them at once: each file is listed and stored on its own, a file
    that is no report is rejected with the reason, and a duplicate is stored once."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("soumu.xml", xml(SOUMU))
        archive.writestr("mlit.xml.gz", gzipped(xml(MLIT)))
        archive.writestr("README.txt", b"Thank you for using our service.\n")
    response = post(
        staff, ("bundle.zip", buffer.getvalue()), ("mlit.eml", emailed(xml(MLIT)))
    )
    assert response.status_code == 200
    assert rows(response) == [
        ("bundle.zip!soumu.xml", "accepted"),
        ("bundle.zip!mlit.xml.gz", "accepted"),
        ("bundle.zip!README.txt", "rejected"),
        ("mlit.eml: report.xml.gz", "duplicate"),
    ]
    assert "is not XML, gzip, zip or an e-mail message" in response.content.decode()
    assert sorted(DmarcReport.objects.values_list("policy_domain", flat=True)) == [
        "mlit.go.jp",
        "soumu.go.jp",
    ]


def test_a_bundle_member_over_the_upload_limit_rejects_the_zip(staff: Client, registry):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("soumu.xml", xml(SOUMU))
        archive.writestr("zeros.xml", b"<" + b" " * 300_000)
    with override_settings(DMARC_MAX_UPLOAD_BYTES=200_000):
        response = post(staff, ("bundle.zip", buffer.getvalue()))
    assert rows(response) == [("bundle.zip", "rejected")]
    assert "over the 200,000-byte upload limit" in response.content.decode()
    assert not DmarcReport.objects.exists()


def test_the_navigation_links_the_upload_page_for_staff_only(
    staff: Client, viewer: Client
):
    link = f'href="{URL}"'
    page = reverse("domains:list")
    assert link in staff.get(page).content.decode()
    assert link not in viewer.get(page).content.decode()
