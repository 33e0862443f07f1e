"""The built wheel installs into a clean venv and the code location imports from outside
the repository, so a packaging mistake cannot hide behind the repo root on sys.path."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

UV = str(Path(sys.executable).with_name("uv"))


@pytest.mark.slow
def test_wheel_installs_and_definitions_import(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([UV, "build", "--wheel", "--out-dir", str(dist), str(REPO)], check=True,
                   capture_output=True, timeout=300)
    [wheel] = dist.glob("pattern_pivot-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([UV, "venv", "-q", "--python", sys.executable, str(venv)], check=True,
                   timeout=120)
    links = [arg for link in os.environ.get("PIP_FIND_LINKS", "").split()
             for arg in ("--find-links", link)]
    subprocess.run([UV, "pip", "install", "-q", "--python", str(venv / "bin/python"),
                    "-c", str(REPO / "constraints.txt"), *links, str(wheel)],
                   check=True, timeout=600)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DAGSTER_HOME")}
    env["PATTERN_PIVOT_DATA_DIR"] = str(outside / "data")
    probe = ("import pattern_pivot.definitions as d, assets, resources, sensors, pathlib;"
             "assert 'site-packages' in assets.__file__, assets.__file__;"
             "import pattern_pivot.api as api;"  # the creator page ships in the wheel
             "assert (pathlib.Path(api.__file__).parent / 'static' / 'app.js').is_file();"
             "print(sorted(k.to_user_string() for k in d.defs.resolve_asset_graph()"
             ".get_all_asset_keys()))")
    proc = subprocess.run([str(venv / "bin/python"), "-c", probe], cwd=outside, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "video_transcript" in proc.stdout
    cli = subprocess.run([str(venv / "bin/pattern-pivot"), "models", "prepare"], cwd=outside,
                         env=env, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert "whisper-base" in cli.stdout
