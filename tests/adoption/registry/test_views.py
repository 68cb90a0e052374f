"""The registry pages: upload, preview, confirm, list, exports; who may use them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adoption.models import Domain, ImportBatch, Membership
from adoption.registry.parse import parse_registry_csv
from adoption.registry.plan import apply_import, plan_import, retire_domains

from ..conftest import logged_in
from .files import data, make_csv


def upload(client: Client, payload: bytes, name: str = "registry.csv", **fields):
    body = {"file": SimpleUploadedFile(name, payload), "mode": "add", **fields}
    return client.post(reverse("registry:import"), body)


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_needs_a_logged_in_staff_member(client: Client, viewer: Client):
    response = client.get(reverse("registry:import"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert viewer.get(reverse("registry:import")).status_code == 403
    assert upload(viewer, data("utf8.csv")).status_code == 403
    assert Domain.objects.count() == 0


@pytest.mark.django_db
def test_registry_list_needs_login_unless_public(client: Client, registry, settings):
    assert client.get(reverse("registry:list")).status_code == 302
    settings.DASHBOARD_PUBLIC = True
    assert client.get(reverse("registry:list")).status_code == 200


@pytest.mark.django_db
def test_another_users_upload_is_not_found(staff: Client):
    response = upload(staff, data("utf8.csv"))
    batch = ImportBatch.objects.get()
    other = logged_in("other", is_staff=True)
    assert other.get(response["Location"]).status_code == 404
    assert (
        other.post(reverse("registry:import_apply", args=[batch.pk])).status_code == 404
    )
    assert Domain.objects.count() == 0


# --- Upload, preview, confirm ---------------------------------------------------------------


@pytest.mark.django_db
def test_upload_shows_a_preview_and_writes_nothing_until_confirmed(staff: Client):
    response = upload(staff, data("shift_jis.csv"), name="名簿.csv")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:import_preview", args=[batch.pk])
    assert Domain.objects.count() == 0

    html = english(staff).get(response["Location"]).content.decode()
    assert "名簿.csv" in html
    assert "Shift_JIS (CP932)" in html
    assert '<div class="card-value">5</div>' in html  # to add
    assert "担当者 (E)" in html  # the ignored column is named
    assert "pref.hiroshima.lg.jp" in html

    response = staff.post(reverse("registry:import_apply", args=[batch.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:list"
    )
    assert Domain.objects.filter(active=True).count() == 5
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.APPLIED
    assert bytes(batch.data) == b""  # the file is not kept after the import
    assert batch.outcome["added"] == 5


@pytest.mark.django_db
def test_row_errors_are_listed_with_excel_row_numbers_and_block_the_import(
    staff: Client,
):
    upload(staff, data("bad_rows.csv"))
    batch = ImportBatch.objects.get()
    html = (
        english(staff)
        .get(reverse("registry:import_preview", args=[batch.pk]))
        .content.decode()
    )
    assert 'id="import-errors"' in html
    for row in ("3", "4", "5", "6", "7", "8", "9"):
        assert f'<td class="num">{row}</td>' in html
    assert "The same domain is already on row 2." in html
    assert "go.jp is a public suffix" in html
    assert 'name="good_rows_only"' in html

    response = staff.post(reverse("registry:import_apply", args=[batch.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:import_preview", args=[batch.pk])
    assert Domain.objects.count() == 0
    batch.refresh_from_db()
    assert (
        batch.state == ImportBatch.State.PENDING
    )  # still there to choose good rows only

    staff.post(
        reverse("registry:import_apply", args=[batch.pk]), {"good_rows_only": "on"}
    )
    assert set(Domain.objects.values_list("name", flat=True)) == {
        "soumu.go.jp",
        "env.go.jp",
    }


@pytest.mark.django_db
def test_error_report_download_lists_every_error_safely(staff: Client):
    upload(staff, data("injection.csv"))
    batch = ImportBatch.objects.get()
    response = english(staff).get(reverse("registry:import_errors", args=[batch.pk]))
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "row,column,value,problem"
    assert "2,domain,'=cmd|' /C calc'!A0," in text  # neutralised for Excel


@pytest.mark.django_db
def test_confirming_twice_imports_once(staff: Client):
    upload(staff, data("utf8.csv"))
    batch = ImportBatch.objects.get()
    staff.post(reverse("registry:import_apply", args=[batch.pk]))
    response = staff.post(reverse("registry:import_apply", args=[batch.pk]))
    assert response["Location"] == reverse("registry:import")
    assert Membership.objects.count() == 5
    assert Domain.objects.count() == 4


@pytest.mark.django_db
def test_expired_upload_cannot_be_imported(staff: Client):
    upload(staff, data("utf8.csv"))
    ImportBatch.objects.update(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    batch = ImportBatch.objects.get()
    staff.post(reverse("registry:import_apply", args=[batch.pk]))
    assert Domain.objects.count() == 0
    upload(staff, data("utf8.csv"))  # the next upload drops the expired bytes
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.EXPIRED and bytes(batch.data) == b""


@pytest.mark.django_db
def test_discarding_writes_nothing(staff: Client):
    upload(staff, data("utf8.csv"))
    batch = ImportBatch.objects.get()
    staff.post(reverse("registry:import_discard", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DISCARDED
    assert (
        staff.post(reverse("registry:import_apply", args=[batch.pk])).status_code == 302
    )
    assert Domain.objects.count() == 0


@pytest.mark.django_db
def test_replace_mode_previews_what_leaves_then_retires_it(staff: Client, registry):
    payload = make_csv([("soumu.go.jp", "総務省", "")])
    upload(staff, payload, mode="replace", group="中央省庁")
    batch = ImportBatch.objects.get()
    html = staff.get(
        reverse("registry:import_preview", args=[batch.pk])
    ).content.decode()
    assert 'id="count-retired"' in html
    assert "mlit.go.jp" in html and "kaiho.mlit.go.jp" in html
    staff.post(reverse("registry:import_apply", args=[batch.pk]))
    assert not Domain.objects.get(name="mlit.go.jp").active
    assert Domain.objects.count() == 3


@pytest.mark.django_db
def test_preview_names_the_fields_an_update_changes(staff: Client, registry):
    upload(staff, make_csv([("soumu.go.jp", "総務省（新）", "外局")]))
    batch = ImportBatch.objects.get()
    html = (
        english(staff)
        .get(reverse("registry:import_preview", args=[batch.pk]))
        .content.decode()
    )
    assert "soumu.go.jp (organisation, groups)" in html


@pytest.mark.django_db
def test_replace_mode_needs_a_group(staff: Client, registry):
    response = upload(staff, data("utf8.csv"), mode="replace")
    assert response.status_code == 400
    assert ImportBatch.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("binary.csv", "This is not a text file"),
        (
            "mixed_encoding.csv",
            "The file mixes encodings: lines 2, 3 are UTF-8, lines 4, 5",
        ),
        ("empty.csv", "The submitted file is empty."),
        ("header_only.csv", "The file has a header but no rows of domains."),
    ],
)
@pytest.mark.django_db
def test_unreadable_files_are_refused_on_the_form(staff: Client, name, expected):
    response = upload(english(staff), data(name))
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_a_50_mb_upload_is_refused_with_the_limit(staff: Client):
    response = upload(english(staff), b"domain\n" + b"x" * (50 * 1024 * 1024))
    assert response.status_code == 400
    assert "larger than the limit of 20 MB" in response.content.decode()
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_row_limit_comes_from_settings(staff: Client, settings):
    settings.REGISTRY_IMPORT_MAX_ROWS = 2
    response = upload(english(staff), data("utf8.csv"))
    assert "more than 2 rows" in response.content.decode()


@pytest.mark.django_db
def test_script_upload_gets_json_for_the_progress_bar(staff: Client):
    headers = {"Accept": "application/json"}
    body = {"file": SimpleUploadedFile("r.csv", data("utf8.csv")), "mode": "add"}
    response = staff.post(reverse("registry:import"), body, headers=headers)
    assert response.status_code == 200
    assert response.json()["redirect"].startswith("/registry/import/")

    body = {"file": SimpleUploadedFile("r.csv", data("binary.csv")), "mode": "add"}
    response = english(staff).post(reverse("registry:import"), body, headers=headers)
    assert response.status_code == 400
    assert "not a text file" in response.json()["errors"][0]


@pytest.mark.django_db
def test_upload_page_offers_groups_limits_and_progress(staff: Client, registry):
    html = staff.get(reverse("registry:import")).content.decode()
    assert '<option value="中央省庁">' in html
    assert 'data-max-bytes="20971520"' in html
    assert "js/registry_import.js" in html


# --- The list and the exports ---------------------------------------------------------------


@pytest.mark.django_db
def test_list_searches_by_name_as_typed_or_by_organisation(viewer: Client, registry):
    def names(**query) -> list[str]:
        response = viewer.get(reverse("registry:list"), query)
        return [d.name for d in response.context["page"]]

    assert names() == ["kaiho.mlit.go.jp", "mlit.go.jp", "soumu.go.jp"]
    assert names(q="総務省") == ["soumu.go.jp"]
    assert names(q="ＳＯＵＭＵ.ＧＯ.ＪＰ") == ["soumu.go.jp"]
    assert names(q="https://www.mlit.go.jp/") == []  # www.mlit.go.jp is another domain
    agencies = registry[2].memberships.get(group__name="外局").group
    assert names(group=agencies.pk) == ["kaiho.mlit.go.jp"]


@pytest.mark.django_db
def test_list_hides_retired_domains_unless_asked(viewer: Client, registry):
    retire_domains([registry[0].id])
    response = viewer.get(reverse("registry:list"))
    assert "soumu.go.jp" not in response.content.decode()
    response = viewer.get(reverse("registry:list"), {"retired": "on"})
    assert "soumu.go.jp" in response.content.decode()


@pytest.mark.django_db
def test_list_is_paged(viewer: Client):
    rows = [(f"d{i:03}.example.jp", "", "") for i in range(120)]
    apply_import(plan_import(parse_registry_csv(make_csv(rows))))
    page3 = viewer.get(reverse("registry:list"), {"page": 3})
    assert [d.name for d in page3.context["page"]] == [
        f"d{i:03}.example.jp" for i in range(100, 120)
    ]
    assert 'rel="prev"' in page3.content.decode()


@pytest.mark.django_db
def test_export_csv_opens_in_excel_and_neutralises_formulas(viewer: Client, registry):
    registry[0].note = "=1+1"
    registry[0].save()
    response = viewer.get(reverse("registry:export_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    assert (
        "soumu.go.jp,soumu.go.jp,総務省,Ministry of Internal Affairs and Communications,中央省庁,,'=1+1,true,"
        in text
    )

    cp932 = b"".join(
        viewer.get(
            reverse("registry:export_csv"), {"encoding": "cp932"}
        ).streaming_content
    )
    assert not cp932.startswith(b"\xef\xbb\xbf")
    assert "海上保安庁".encode("cp932") in cp932


@pytest.mark.django_db
def test_export_json_lists_domains_with_groups(viewer: Client, registry):
    response = viewer.get(reverse("registry:export_json"))
    body = json.loads(b"".join(response.streaming_content))
    kaiho = next(d for d in body["domains"] if d["domain"] == "kaiho.mlit.go.jp")
    assert kaiho["groups"] == ["中央省庁", "外局"]
    assert kaiho["organization_en"] == "Japan Coast Guard"


# --- Property: the upload never fails with a 500 ---------------------------------------------


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(payload=st.binary(min_size=1, max_size=400))
def test_random_uploads_never_fail_with_a_server_error(staff: Client, payload):
    response = upload(staff, payload)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        preview = staff.get(response["Location"])
        assert preview.status_code == 200
        batch = ImportBatch.objects.latest("pk")
        assert (
            staff.post(reverse("registry:import_apply", args=[batch.pk])).status_code
            == 302
        )
