"""The pattern-pivot command line, run as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pattern_pivot.catalog import Catalog
from pattern_pivot.cli.run_origin import LOCATION_NAME
from tests.conftest import JFK, LIBRIVOX, copy_as, word_error_rate

CLI = str(Path(sys.executable).with_name("pattern-pivot"))


def _run(*args, env=None, cwd=None):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def test_transcribe_json_prints_timed_words():
    proc = _run("transcribe", str(JFK), "--json", "--model", "tiny.en")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["language"] == "en"
    assert set(data["words"][0]) == {"start", "end", "text"}
    assert word_error_rate([JFK.with_name("jfk-reference.txt").read_text()],
                           [" ".join(w["text"] for w in data["words"])]) < 0.15
    assert all(w["start"] <= w["end"] for w in data["words"])


def test_transcribe_bad_file_names_it_and_exits_2(tmp_path):
    bad = tmp_path / "broken clip.mp4"
    bad.write_bytes(b"\0" * 1000)
    proc = _run("transcribe", str(bad), "--json")
    assert proc.returncode == 2
    assert "broken clip.mp4" in proc.stderr and "Fix:" in proc.stderr
    assert proc.stdout == ""


def test_add_registers_and_ingests_into_a_persistent_instance(tmp_path):
    env = {"PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data"), "PATTERN_PIVOT_ASR_MODEL": "tiny.en",
           "DAGSTER_HOME": ""}
    proc = _run("add", str(JFK), "--run", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    video_id = proc.stdout.split()[0]
    assert video_id.startswith("file-") and f"ok      {video_id}" in proc.stdout
    transcript = tmp_path / "data/media/video_transcript" / video_id / "transcript.json"
    assert json.loads(transcript.read_text())["words"]
    # The runs are on the instance the UI reads, as runs of its code location.
    with dg.DagsterInstance.from_config(str(tmp_path / "data/dagster")) as instance:
        runs = instance.get_runs()
    assert [r.job_name for r in runs] == ["ingest_job"]
    assert runs[0].remote_job_origin.location_name == LOCATION_NAME


def test_add_refuses_an_unsupported_file(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    proc = _run("add", str(bad), env={"PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data")})
    assert proc.returncode == 2 and "unsupported extension" in proc.stderr


@pytest.mark.slow
def test_add_registers_every_good_file_and_names_each_bad_one(tmp_path):
    good = copy_as(JFK, tmp_path / "in/jfk.wav")
    # A name that is not UTF-8 (Latin-1 "café"), as old archives and USB sticks have.
    latin1 = os.fsencode(tmp_path / "in") + b"/caf\xe9.wav"
    Path(os.fsdecode(latin1)).write_bytes((LIBRIVOX / "sense_and_sensibility_01_austen_64kb"
                                           "-0870.wav").read_bytes())
    notes = tmp_path / "in/notes.txt"
    notes.write_text("hello")
    proc = subprocess.run([CLI, "add", str(good), latin1, str(notes)], capture_output=True,
                          timeout=300, env={**os.environ, "DAGSTER_HOME": "",
                                            "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data")},
                          cwd=tmp_path)
    stdout, stderr = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert "caf\\xe9.wav: has a name that is not valid UTF-8" in stderr and "Fix:" in stderr
    assert "notes.txt" in stderr and "unsupported extension" in stderr
    [entry] = Catalog(tmp_path / "data/catalog.sqlite").entries()
    assert entry.source_uri == str(good) and entry.video_id in stdout
    # ... and it is a partition too, so the sensor, the UI and `ingest` can run it.
    instance = dg.DagsterInstance.from_config(str(tmp_path / "data/dagster"))
    assert instance.get_dynamic_partitions("videos") == [entry.video_id]


@pytest.mark.slow
def test_ingest_adds_a_missing_partition_and_refuses_unknown_ids(tmp_path):
    env = {"PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data"), "PATTERN_PIVOT_ASR_MODEL": "tiny.en",
           "DAGSTER_HOME": ""}
    # In the catalog but never made a partition (an `add` that died half-way, before the fix).
    video_id = Catalog(tmp_path / "data/catalog.sqlite").register_file(JFK).video_id
    unknown = _run("ingest", "file-0123456789abcdef", env=env, cwd=tmp_path)
    assert unknown.returncode == 2 and "'file-0123456789abcdef': matches no id or title" in \
        unknown.stderr
    proc = _run("ingest", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert f"ok      {video_id}" in proc.stdout
