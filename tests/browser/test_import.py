from __future__ import annotations

import re

import pytest

from adoption.models import Domain

CP932_WITH_AN_ERROR_ROW = (
    "ドメイン,組織,グループ\r\n"
    "soumu.go.jp,総務省,中央省庁\r\n"
    "lg.jp,地方公共団体,地方公共団体\r\n"
    "ＰＲＥＦ．ＨＩＲＯＳＨＩＭＡ．ＬＧ．ＪＰ,広島県,地方公共団体\r\n"
).encode("cp932")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_uploads_shift_jis_sees_the_bad_row_and_imports_the_good_rows(
    page, live_server, django_user_model, tmp_path
):
    django_user_model.objects.create_user(
        "staff", password="pw-for-tests", is_staff=True
    )
    registry_file = tmp_path / "名簿.csv"
    registry_file.write_bytes(CP932_WITH_AN_ERROR_ROW)

    page.goto(live_server.url + "/registry/import/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pw-for-tests")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/registry/import/$"))

    assert not page.locator(".upload-progress").is_visible()
    page.set_input_files("#id_file", str(registry_file))
    page.click("#import-form button[type=submit]")
    page.wait_for_url(re.compile(r"/registry/import/\d+/$"))

    assert page.locator("#count-added .card-value").inner_text() == "2"
    assert page.locator("#count-errors .card-value").inner_text() == "1"
    error_row = page.locator("#import-errors tbody tr")
    assert error_row.count() == 1
    assert error_row.locator("td").first.inner_text() == "3"  # as Excel numbers it
    assert "lg.jp" in error_row.inner_text()
    assert Domain.objects.count() == 0  # nothing written yet

    page.check("#id_good_rows_only")
    page.click("#confirm-import")
    page.wait_for_url(re.compile(r"/registry/$"))

    table = page.locator("#registry-table").inner_text()
    assert "soumu.go.jp" in table and "pref.hiroshima.lg.jp" in table
    assert "lg.jp\n" not in table
    assert set(Domain.objects.values_list("name", flat=True)) == {
        "soumu.go.jp",
        "pref.hiroshima.lg.jp",
    }
    assert page.console_errors == []
