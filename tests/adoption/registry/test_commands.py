"""``manage.py import_registry``, ``export_registry`` and ``load_sample_data``: same code path as
the web pages."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from adoption.models import Domain, Group, Membership

from .files import DATA, make_csv


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("utf8.csv", 4),
        ("utf8_bom.csv", 3),
        ("shift_jis.csv", 5),
        ("tab.tsv", 2),
        ("utf16.txt", 2),
        ("registry.xlsx", 2),
    ],
)
@pytest.mark.django_db
def test_import_reads_every_supported_file(name, count):
    out, _ = run("import_registry", str(DATA / name), "--good-rows-only")
    assert Domain.objects.filter(active=True).count() == count
    assert f"Imported: {count} added" in out


@pytest.mark.django_db
def test_row_errors_exit_non_zero_and_write_nothing():
    with pytest.raises(CommandError) as failed, translation.override("en"):
        err = io.StringIO()
        call_command(
            "import_registry",
            str(DATA / "bad_rows.csv"),
            stdout=io.StringIO(),
            stderr=err,
        )
    assert failed.value.returncode == 1
    assert "7 rows have errors" in str(failed.value)
    assert 'row 5, group "go.jp"' not in err.getvalue()
    assert "row 5, domain “go.jp”: go.jp is a public suffix" in err.getvalue()
    assert (
        "row 6, domain “SOUMU.GO.JP.”: The same domain is already on row 2."
        in err.getvalue()
    )
    assert Domain.objects.count() == 0


@pytest.mark.django_db
def test_good_rows_only_writes_the_good_rows():
    out, err = run("import_registry", str(DATA / "bad_rows.csv"), "--good-rows-only")
    assert "7 rows with errors skipped" in out
    assert set(Domain.objects.values_list("name", flat=True)) == {
        "soumu.go.jp",
        "env.go.jp",
    }


@pytest.mark.django_db
def test_dry_run_writes_nothing():
    out, _ = run("import_registry", str(DATA / "utf8.csv"), "--dry-run")
    assert "Plan: 4 to add" in out
    assert "Dry run: nothing was written." in out
    assert Domain.objects.count() == 0
    with pytest.raises(CommandError):
        run("import_registry", str(DATA / "bad_rows.csv"), "--dry-run")


@pytest.mark.django_db
def test_group_and_replace(tmp_path, registry):
    path = tmp_path / "central.csv"
    path.write_bytes(
        make_csv([("soumu.go.jp", "総務省", ""), ("env.go.jp", "環境省", "")])
    )
    out, _ = run("import_registry", str(path), "--group", "中央省庁", "--replace")
    assert "retire: mlit.go.jp" in out
    assert "leave the group: kaiho.mlit.go.jp" in out
    assert set(
        Group.objects.get(name="中央省庁")
        .memberships.filter(left_at=None)
        .values_list("domain__name", flat=True)
    ) == {"soumu.go.jp", "env.go.jp"}
    assert Domain.objects.get(name="mlit.go.jp").active is False


@pytest.mark.django_db
def test_replace_without_group_is_an_error(registry):
    with pytest.raises(CommandError, match="needs a group"):
        run("import_registry", str(DATA / "utf8.csv"), "--replace")


@pytest.mark.django_db
def test_unreadable_and_missing_files_are_errors(tmp_path):
    with pytest.raises(CommandError, match="mixes encodings"):
        run("import_registry", str(DATA / "mixed_encoding.csv"))
    with pytest.raises(CommandError, match="not a text file"):
        run("import_registry", str(DATA / "binary.csv"))
    with pytest.raises(CommandError, match="No such file"):
        run("import_registry", str(tmp_path / "missing.csv"))
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # a sparse 50 MB file: refused before reading
    with pytest.raises(CommandError, match="limit is 20 MB"):
        run("import_registry", str(big))


@pytest.mark.django_db
def test_export_csv_default_is_utf8_with_bom(tmp_path, registry):
    path = tmp_path / "registry.csv"
    run("export_registry", "--output", str(path))
    body = path.read_bytes()
    assert body.startswith(b"\xef\xbb\xbfdomain,domain_unicode,organization,")
    assert (
        "kaiho.mlit.go.jp,kaiho.mlit.go.jp,海上保安庁,Japan Coast Guard,中央省庁;外局"
        in body.decode("utf-8-sig")
    )


@pytest.mark.django_db
def test_export_cp932_and_json(tmp_path, registry):
    path = tmp_path / "registry.csv"
    run("export_registry", "--encoding", "cp932", "-o", str(path))
    assert "総務省".encode("cp932") in path.read_bytes()
    out, _ = run("export_registry", "--format", "json")
    assert len(json.loads(out)["domains"]) == 3


@pytest.mark.django_db
def test_sample_registry_loads_the_central_government_once():
    call_command("load_sample_data")
    call_command("load_sample_data")
    assert Domain.objects.count() == 38
    kaiho = Domain.objects.get(name="kaiho.mlit.go.jp")
    assert kaiho.organisation.name_ja == "海上保安庁"
    assert kaiho.organisation.name_en == "Japan Coast Guard"
    assert set(kaiho.groups.values_list("name", flat=True)) == {"中央省庁", "外局"}
    assert Group.objects.get(name="中央省庁").name_en == "Central government"
    assert Membership.objects.filter(group__name="中央省庁").count() == 38
