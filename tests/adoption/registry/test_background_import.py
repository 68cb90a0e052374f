"""Large uploads and every .xlsx are parsed by a worker while the preview page waits.

The task runs eagerly here (its logic, not the broker): the on-commit callbacks are captured, so
a test sees the page before the task ran ("being read") and after (the preview).
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from adoption import tasks
from adoption.models import Domain, ImportBatch

from .files import data, make_csv, workbook

READING = "this page reloads by itself"


def upload(client: Client, payload: bytes, name: str, **fields):
    body = {"file": SimpleUploadedFile(name, payload), "mode": "add", **fields}
    client.cookies["django_language"] = "en"
    return client.post(reverse("registry:import"), body)


@pytest.mark.django_db
def test_an_xlsx_upload_is_read_by_the_task_while_the_page_waits(
    staff: Client, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as sent:
        response = upload(staff, data("registry.xlsx"), "名簿.xlsx")
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.PARSING and batch.preview == {}

    waiting = staff.get(response["Location"])
    html = waiting.content.decode()
    assert READING in html and "名簿.xlsx" in html
    assert '<meta http-equiv="refresh"' in html
    assert 'id="confirm-form"' not in html

    assert len(sent) == 1
    sent[0]()  # the worker parses the file
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.PENDING
    assert batch.preview["encoding"] == "xlsx"
    ready = staff.get(response["Location"]).content.decode()
    assert READING not in ready and 'id="confirm-form"' in ready
    assert Domain.objects.count() == 0  # nothing written before the confirmation
    # The fixture has one bad row: the good rows are imported.
    apply = reverse("registry:import_apply", args=[batch.pk])
    staff.post(apply, {"good_rows_only": "on"})
    assert Domain.objects.count() == batch.preview["summary"]["added"] > 0


@pytest.mark.django_db
def test_a_broken_workbook_ends_with_the_reason_named(
    staff: Client, eager, django_capture_on_commit_callbacks, settings
):
    settings.REGISTRY_XLSX_MAX_SHARED_STRINGS = 3
    payload = workbook(["domain", "a.example.jp", "b.example.jp", "c.example.jp"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff, payload, "big.xlsx")
    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.REJECTED
    assert bytes(batch.data) == b""  # a refused file is not kept
    assert batch.rejection["code"] == "xlsx_too_many_strings"

    page = staff.get(response["Location"], follow=True)
    assert page.redirect_chain[-1][0] == reverse("registry:import")
    html = page.content.decode()
    assert "The workbook holds more than 3 different texts." in html
    assert READING not in html


@pytest.mark.django_db
def test_a_corrupt_xlsx_is_refused_by_the_worker_with_the_form_s_words(
    staff: Client, eager, django_capture_on_commit_callbacks
):
    buffer = io.BytesIO()  # names a workbook part, holds no workbook
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-a-workbook")
    corrupt = buffer.getvalue()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff, corrupt, "cut.xlsx")
    assert ImportBatch.objects.get().state == ImportBatch.State.REJECTED
    html = staff.get(response["Location"], follow=True).content.decode()
    assert "The workbook cannot be read." in html


@pytest.mark.django_db
def test_small_csv_stays_in_the_request_and_large_csv_goes_to_the_worker(
    staff: Client, eager, django_capture_on_commit_callbacks, settings
):
    payload = make_csv([("soumu.go.jp", "総務省", "中央省庁")])
    settings.REGISTRY_IMPORT_BACKGROUND_BYTES = len(payload)
    with django_capture_on_commit_callbacks() as sent:
        upload(staff, payload, "small.csv")
    assert not sent
    assert ImportBatch.objects.get().state == ImportBatch.State.PENDING

    settings.REGISTRY_IMPORT_BACKGROUND_BYTES = len(payload) - 1
    with django_capture_on_commit_callbacks(execute=True) as sent:
        upload(staff, payload, "large.csv")
    assert len(sent) == 1
    large = ImportBatch.objects.latest("pk")
    assert large.state == ImportBatch.State.PENDING
    assert large.preview["summary"]["added"] == 1


@pytest.mark.django_db
def test_a_large_upload_is_still_refused_in_the_request_when_over_the_limit(
    staff: Client, django_capture_on_commit_callbacks, settings
):
    settings.REGISTRY_IMPORT_MAX_BYTES = 2048
    with django_capture_on_commit_callbacks() as sent:
        response = upload(staff, b"PK\x03\x04" + b"x" * 4096, "huge.xlsx")
    assert response.status_code == 400
    assert "larger than the limit" in response.content.decode()
    assert not sent and ImportBatch.objects.count() == 0
    replace = upload(staff, data("registry.xlsx"), "r.xlsx", mode="replace")
    assert replace.status_code == 400 and ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_a_second_delivery_of_the_task_changes_nothing(
    staff: Client, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(staff, data("registry.xlsx"), "r.xlsx")
    batch = ImportBatch.objects.get()
    preview, expires = batch.preview, batch.expires_at
    tasks.parse_import(batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.preview, batch.expires_at) == (
        ImportBatch.State.PENDING,
        preview,
        expires,
    )
