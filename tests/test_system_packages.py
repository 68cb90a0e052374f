"""``scripts/ensure-system-packages``: what the tests need from the system, in one list; a
missing piece is installed as root or named in a one-line message.

The probes run against stand-ins put first on the PATH: ``id`` says "not root" (so nothing is
installed) and ``fc-list`` answers as a machine with or without a Japanese font would.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "ensure-system-packages"
FONT_PACKAGE = "fonts-ipafont-gothic"


def run_script(tmp_path: Path, fonts: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_ins = {"id": "echo 1000", "fc-list": f"printf '{fonts}'"}
    for name, body in stand_ins.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_machine_without_a_japanese_font_is_told_which_package_to_install(tmp_path):
    result = run_script(tmp_path, fonts="")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("The tests need: ") and FONT_PACKAGE in line


def test_a_japanese_font_found_by_fontconfig_is_enough(tmp_path):
    result = run_script(tmp_path, fonts="IPAGothic,IPAゴシック\\n")
    assert FONT_PACKAGE not in result.stderr
