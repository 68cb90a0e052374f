"""``manage.py import_dmarc_reports``: files and folders, one line per report, exit status."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from adoption.models import DmarcRecord, DmarcReport

from .reportfiles import MLIT, SOUMU, gzipped, xml, zipped

pytestmark = pytest.mark.django_db


def run(*paths: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with translation.override("en"):
        call_command("import_dmarc_reports", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "2026" / "11").mkdir(parents=True)
    (tmp_path / "2026" / "11" / "soumu.xml.gz").write_bytes(gzipped(xml(SOUMU)))
    (tmp_path / "2026" / "mlit.zip").write_bytes(zipped(xml(MLIT), "mlit.xml"))
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "junk.txt").write_bytes(b"not read")
    return tmp_path


def test_a_folder_is_read_recursively_and_each_report_listed(registry, folder):
    out, err = run(folder)
    assert err == ""
    lines = out.splitlines()
    assert any("soumu.xml.gz: accepted" in line for line in lines)
    assert any("mlit.zip" in line and "accepted" in line for line in lines)
    assert "junk.txt" not in out
    assert lines[-1] == "2 accepted, 0 duplicate, 0 rejected."
    assert DmarcReport.objects.count() == 2


def test_importing_again_adds_nothing_and_exits_zero(registry, folder):
    run(folder)
    out, _err = run(folder)
    assert out.splitlines()[-1] == "0 accepted, 2 duplicate, 0 rejected."
    assert "Already stored" in out
    assert DmarcReport.objects.count() == 2
    assert DmarcRecord.objects.count() == 6


def test_a_rejected_file_is_named_with_its_reason_and_the_exit_status_is_one(
    registry, folder
):
    (folder / "notes.txt").write_text("these are not reports", encoding="utf-8")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised, translation.override("en"):
        call_command("import_dmarc_reports", str(folder), stdout=out, stderr=err)
    assert raised.value.returncode == 1
    assert str(raised.value) == "2 accepted, 0 duplicate, 1 rejected."
    [line] = err.getvalue().splitlines()
    assert line.startswith(f"{folder / 'notes.txt'}: rejected: ")
    assert "Not a usable DMARC aggregate report" in line
    assert DmarcReport.objects.count() == 2  # the good files are stored all the same


def test_control_characters_in_names_do_not_reach_the_terminal(registry, tmp_path):
    bad = tmp_path / "evil\x1b[2Jname.xml"
    bad.write_bytes(b"garbage")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import_dmarc_reports", str(bad), stdout=out, stderr=err)
    assert "\x1b" not in err.getvalue()
    assert "evil\\x1b[2Jname.xml" in err.getvalue()
