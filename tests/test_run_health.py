"""The run-health report: from plain records (domain), and read from a real Dagster instance
in which real runs failed, retried and a sensor's ticks failed."""

from __future__ import annotations

import sys
import time

import dagster as dg
import pytest
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteInstigatorOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    TickData,
    TickStatus,
)
from dagster._utils.error import serializable_error_info_from_exc_info

from pattern_pivot.health.redact import MASK, environment_secrets, redact
from pattern_pivot.health.report import RunRecord, StepProblem, build_report

NOW = 1_764_590_400.0  # 2025-12-01 12:00 UTC
FAKE_KEY = "fake-yt-key-0123456789abcdef"  # nothing about it looks like a key but its variable


def test_an_empty_event_log_says_all_is_well():
    report = build_report([], [], set(), since=NOW - 86400, until=NOW)
    assert report.all_well
    assert "All is well" in report.markdown() and "## Failed runs" not in report.markdown()
    assert report.to_dict()["all_well"] is True


def _failed(run_id: str, partition: str, error: str, fix: str | None, problem: str | None,
            at: float, asset: str = "source_video") -> RunRecord:
    return RunRecord(run_id, "ingest_job", "FAILURE", partition, f"title of {partition}", at,
                     (StepProblem(asset, error, fix, problem),))


def test_causes_are_counted_across_partitions_and_stuck_means_never_succeeded():
    fix = "add the whole file again"
    runs = [_failed("r1", "file-a", f"/in/a.mp4: is empty (0 bytes). Fix: {fix}", fix,
                    "is empty (0 bytes)", NOW - 300),
            _failed("r2", "file-b", f"/in/b.mp4: is empty (0 bytes). Fix: {fix}", fix,
                    "is empty (0 bytes)", NOW - 200),
            _failed("r3", "file-c", "ValueError: boom", None, "ValueError", NOW - 100)]
    report = build_report(runs, [], {("source_video", "file-b")}, since=NOW - 86400,
                          until=NOW)
    assert [(c.count, c.partitions) for c in report.causes] == [
        (2, ("file-a", "file-b")), (1, ("file-c",))]
    # file-b succeeded later; file-a and file-c never did.
    assert [s.partition for s in report.stuck] == ["file-a", "file-c"]
    first = report.failed[0]
    assert first.first_line == "/in/a.mp4: is empty (0 bytes)." and first.fix == fix
    md = report.markdown()
    assert "file-a (title of file-a)" in md and "| 2 | is empty (0 bytes) |" in md


def test_a_re_executed_run_counts_as_retried_and_its_partition_is_not_stuck():
    fix = "free some disk space"
    first = _failed("run-one-1234", "file-a", f"no space. Fix: {fix}", fix, "no space", NOW - 90)
    again = RunRecord("run-two-5678", "ingest_job", "SUCCESS", "file-a", "title of file-a",
                      NOW - 30, retry_of="run-one-1234")
    report = build_report([first, again], [], {("source_video", "file-a")},
                          since=NOW - 86400, until=NOW)
    [retry] = report.retried
    assert (retry.run_id, retry.outcome) == ("run-two-5678", "recovered")
    assert retry.first_line == "re-execution of run run-one-" and not report.stuck
    assert report.failed_runs == 1 and "## Retried" in report.markdown()


def test_secrets_are_masked_from_the_environment_and_by_their_look():
    secrets = environment_secrets({"PATTERN_PIVOT_YOUTUBE_API_KEY": FAKE_KEY,
                                   "OPENAI_API_KEY": "sk-test-abcdefghijklmnopqrstuv",
                                   "PATH": "/usr/bin:/bin", "SOME_TOKEN": "1"})
    assert FAKE_KEY in secrets and "/usr/bin:/bin" not in secrets and "1" not in secrets
    text = redact(f"401 for {FAKE_KEY}; GET https://x/v3?part=id&key=AIzaOtherKey123&x=1; "
                  "Authorization: Bearer abc.def.ghi123; sk-anotherkey-abcdefghijklmnop",
                  secrets)
    assert FAKE_KEY not in text and "AIzaOtherKey123" not in text
    assert "abc.def.ghi123" not in text and "sk-anotherkey" not in text
    assert text.count(MASK) == 4 and "part=id" in text and "&x=1" in text


_calls = {"flaky": 0}


@dg.asset
def leaky_fetch() -> None:
    import os

    raise RuntimeError(f"YouTube refused key {os.environ['PATTERN_PIVOT_YOUTUBE_API_KEY']} "
                       "(HTTP 403)\nsecond line")


@dg.asset(retry_policy=dg.RetryPolicy(max_retries=1))
def flaky() -> None:
    _calls["flaky"] += 1
    if _calls["flaky"] == 1:
        raise ConnectionError("the first try drops its connection")


def _failing_sensor_tick(instance: dg.DagsterInstance) -> None:
    """What the daemon stores when channel_folder_sensor's evaluation raises."""
    origin = RemoteInstigatorOrigin(
        RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("pattern_pivot"),
                               "__repository__"), "channel_folder_sensor")
    state = InstigatorState(origin, InstigatorType.SENSOR, InstigatorStatus.RUNNING)
    instance.add_instigator_state(state)
    try:
        raise PermissionError(f"[Errno 13] Permission denied: '/videos' (token={FAKE_KEY})")
    except PermissionError:
        error = serializable_error_info_from_exc_info(sys.exc_info())
    for _ in range(2):
        instance.create_tick(TickData(origin.get_id(), "channel_folder_sensor",
                                      InstigatorType.SENSOR, TickStatus.FAILURE, time.time(),
                                      error=error, selector_id=state.selector_id))




@pytest.mark.slow
def test_report_of_a_real_instance_with_failed_retried_and_stuck_work(pipeline, tmp_path,
                                                                       monkeypatch):
    from pattern_pivot.cli.run_health import read_run_health

    monkeypatch.setenv("PATTERN_PIVOT_YOUTUBE_API_KEY", FAKE_KEY)
    (tmp_path / "dagster").mkdir()
    pipeline.instance = dg.DagsterInstance.local_temp(str(tmp_path / "dagster"))
    empty = tmp_path / "in" / "holiday clip.mp4"
    empty.parent.mkdir(parents=True)
    empty.write_bytes(b"")
    [bad] = pipeline.add(empty)
    assert not pipeline.ingest(bad).success  # a real bad-input failure, with its fix
    other = dg.materialize([leaky_fetch, flaky], instance=pipeline.instance,
                           raise_on_error=False)
    assert not other.success and _calls["flaky"] == 2
    _failing_sensor_tick(pipeline.instance)

    report = read_run_health(pipeline.instance, days=1,
                             titles={e.video_id: e.title for e in pipeline.catalog.entries()})
    text = report.markdown() + str(report.to_dict())
    assert FAKE_KEY not in text and MASK in text
    assert report.failed_runs == 2
    by_asset = {f.asset: f for f in report.failed}
    source = by_asset["source_video"]
    assert source.partition == bad and source.title == "holiday clip"
    assert "empty" in source.first_line and source.fix and "Fix:" not in source.first_line
    assert by_asset["leaky_fetch"].first_line.startswith("RuntimeError: YouTube refused key "
                                                         f"{MASK} (HTTP 403)")
    assert [(r.asset, r.retries, r.outcome) for r in report.retried] == [
        ("flaky", 1, "recovered")]
    assert [(t.name, t.failures) for t in report.failing_ticks] == [
        ("channel_folder_sensor", 2)]
    assert "PermissionError" in report.failing_ticks[0].last_error
    assert {(s.asset, s.partition) for s in report.stuck} == {("source_video", bad),
                                                               ("leaky_fetch", None)}
    assert f"{bad} (holiday clip)" in report.markdown()

    # The daily asset: the same report as Markdown in the UI, stored as .md and .json.
    result = pipeline.defs.resolve_job_def("run_health_job").execute_in_process(
        instance=pipeline.instance)
    meta = result.asset_materializations_for_node("run_health_report")[0].metadata
    assert meta["all_well"].value is False and meta["stuck_partitions"].value == 2
    assert FAKE_KEY not in meta["report"].value and "holiday clip" in meta["report"].value
    assert FAKE_KEY not in (tmp_path / "data").joinpath("media").rglob("report.*").__next__(
    ).read_text()


def test_report_of_a_fresh_instance_says_all_is_well(tmp_path):
    from pattern_pivot.cli.run_health import read_run_health

    instance = dg.DagsterInstance.local_temp(str(tmp_path))
    report = read_run_health(instance, days=1)
    assert report.all_well and report.runs_seen == 0


@pytest.mark.slow
def test_report_command_on_the_persistent_instance(tmp_path):
    """`pattern-pivot report` as a user runs it: all is well, then a bad file fails ingest."""
    import json
    import os
    import subprocess
    from pathlib import Path

    cli = str(Path(sys.executable).with_name("pattern-pivot"))
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": "",
           "PATTERN_PIVOT_YOUTUBE_API_KEY": FAKE_KEY}

    def run(*args):
        return subprocess.run([cli, *args], capture_output=True, text=True, timeout=300,
                              env=env, cwd=tmp_path)

    fresh = run("report")
    assert fresh.returncode == 0 and "All is well" in fresh.stdout, fresh.stderr
    bad = tmp_path / "in" / f"leak {FAKE_KEY}.mp4"  # a secret even in a file name
    bad.parent.mkdir()
    bad.write_bytes(b"")
    assert run("add", str(bad), "--run").returncode == 1
    proc = run("report", "--days", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    assert FAKE_KEY not in proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert not data["all_well"] and data["failed_runs"] == 1
    [failed] = data["failed"]
    assert failed["asset"] == "source_video" and failed["partition"].startswith("file-")
    assert "is empty (0 bytes)" in failed["first_line"] and failed["fix"]
    assert [c["count"] for c in data["causes"]] == [1] and len(data["stuck"]) == 1


def test_llm_summary_falls_through_providers_and_never_shows_a_secret():
    from pattern_pivot.health.summary import summarise
    from pattern_pivot.llm.providers import ProviderConfig
    from tests.remix_support import FakeOpenAI, error_body

    fix = "replace the file and add it again"
    run = _failed("r1", "file-a", f"/in/a.mp4 ({FAKE_KEY}): is empty. Fix: {fix}", fix,
                  "is empty", NOW - 60)
    report = build_report([run], [], set(), since=NOW - 86400, until=NOW,
                          secrets=(FAKE_KEY,))
    answer = f"One ingest failed on an empty file; key {FAKE_KEY} was not the cause."
    with FakeOpenAI([(500, error_body(500))]) as down, FakeOpenAI([(200, answer)]) as up:
        providers = [ProviderConfig(name=n, base_url=s.base_url, model="m", timeout=10)
                     for n, s in (("down", down), ("up", up))]
        summarised = summarise(report, providers, (FAKE_KEY,))
        sent = up.requests[0]["body"]["messages"][1]["content"]
    assert summarised.summarised_by == "up" and "empty file" in summarised.summary
    assert FAKE_KEY not in sent and FAKE_KEY not in summarised.markdown()
    assert "## Summary (by up)" in summarised.markdown()
    # All is well, or no provider: nothing to ask and no summary.
    assert summarise(build_report([], [], set(), since=NOW - 1, until=NOW),
                     providers).summary is None
