"""The main job on the embedded defaults, as `./scripts/demo.sh` runs it (one video here):
sample channel, ingest, search, and a rendered, checked supercut."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pattern_pivot.cli.run_origin import LOCATION_NAME
from pattern_pivot.quality import CHECK_NAMES
from tests.conftest import word_error_rate

CLI = str(Path(sys.executable).with_name("pattern-pivot"))


@pytest.mark.slow
def test_demo_makes_a_channel_ingests_it_and_renders_a_checked_short(tmp_path):
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "var")}
    env.pop("DAGSTER_HOME", None)
    proc = subprocess.run([CLI, "demo", "--count", "1"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1/1 videos ingested" in proc.stdout
    [video] = (tmp_path / "var/channel").glob("*.mp4")
    reference = video.with_suffix(".txt").read_text()
    [transcript_file] = (tmp_path / "var/media/video_transcript").glob("*/transcript.json")
    transcript = json.loads(transcript_file.read_text())
    assert transcript["language"] == "en"
    assert word_error_rate([reference], [transcript["text"]]) < 0.15
    [chunks_file] = (tmp_path / "var/media/transcript_chunks").glob("*/chunks.json")
    assert len(json.loads(chunks_file.read_text())["chunks"]) >= 2
    search = subprocess.run([CLI, "search", "bread dough starter", "--json", "--top", "1"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)[0]["video_id"] == transcript_file.parent.name
    # It ends with a 9:16 supercut of the video, rendered and passing every quality check.
    [short] = (tmp_path / "var/media/remix_video").glob("remix-*/variant-1.mp4")
    assert f"video: {short}" in proc.stdout
    assert f"quality: {len(CHECK_NAMES)}/{len(CHECK_NAMES)} checks passed" in proc.stdout
    checks = json.loads(short.with_suffix(".checks.json").read_text())
    assert checks and all(c["passed"] for c in checks)
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", str(short)],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "1080,1920"
    assert re.search(r"^variant 1 rendered \(.* shots\) in \d+ s$", proc.stdout, re.M)
    # The runs were recorded on the persistent instance the UI reads, as its location's.
    assert (tmp_path / "var/dagster/history/runs.db").stat().st_size > 0
    with dg.DagsterInstance.from_config(str(tmp_path / "var/dagster")) as instance:
        runs = instance.get_runs()
    assert {r.job_name for r in runs} == {"ingest_job", "remix_job"}
    assert {r.remote_job_origin.location_name for r in runs} == {LOCATION_NAME}
