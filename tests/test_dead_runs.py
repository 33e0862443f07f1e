"""A run whose process died must not block later runs; a run waiting on a pool says what for
and stops on Ctrl-C."""

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import psutil
import pytest

from pattern_pivot.catalog import Catalog
from pattern_pivot.cli.dead_runs import WORKER_TAG, reap_dead_runs, worker_tags
from sensors.dead_runs import dead_runs_sensor
from tests.conftest import JFK, LIBRIVOX, REPO, ffmpeg

CLI = str(Path(sys.executable).with_name("pattern-pivot"))
RUNNING, FAILED = dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.FAILURE


def _run_holding_asr(instance: dg.DagsterInstance, tags: dict, status=RUNNING) -> str:
    """A run record holding the asr slot, as a run worker leaves it behind."""
    run_id = str(uuid.uuid4())
    instance.add_run(dg.DagsterRun(job_name="ingest_job", run_id=run_id, status=status,
                                   tags=tags))
    assert instance.event_log_storage.claim_concurrency_slot(
        "asr", run_id, "video_transcript").is_claimed
    return run_id


def _asr_holders(instance: dg.DagsterInstance) -> set[str]:
    return {s.run_id for s in instance.event_log_storage.get_concurrency_info("asr").claimed_slots}


def _dead_worker() -> dict:
    """The worker tag of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child_start = psutil.Process(child.pid).create_time()
    child.wait()
    return {WORKER_TAG: f"{socket.gethostname()} {child.pid} {child_start:.3f}"}


def test_only_runs_whose_worker_is_gone_or_that_ended_lose_their_slots(tmp_path):
    instance = dg.DagsterInstance.local_temp(str(tmp_path))
    instance.event_log_storage.set_concurrency_slots("asr", 10)
    host, me, my_start = worker_tags()[WORKER_TAG].split()
    dead = _run_holding_asr(instance, _dead_worker())
    reused = _run_holding_asr(instance, {WORKER_TAG: f"{host} {me} {float(my_start) - 60:.3f}"})
    alive = _run_holding_asr(instance, worker_tags())
    elsewhere = _run_holding_asr(instance, {WORKER_TAG: f"not-{socket.gethostname()} 1 0"})
    untagged = _run_holding_asr(instance, {})  # the UI's runs: the daemon watches those
    ended = _run_holding_asr(instance, {}, status=FAILED)  # marked failed in the UI, say

    reaped = {r.run_id: r for r in reap_dead_runs(instance)}

    assert set(reaped) == {dead, reused, ended}
    assert "gone" in reaped[dead].reason and "reused" in reaped[reused].reason
    assert reaped[dead].freed == ("asr: video_transcript",)
    assert reaped[dead].marked_failed and not reaped[ended].marked_failed
    assert _asr_holders(instance) == {alive, elsewhere, untagged}
    for run_id in (dead, reused):
        assert instance.get_run_by_id(run_id).status == FAILED
    for run_id in (alive, elsewhere, untagged):
        assert instance.get_run_by_id(run_id).status == RUNNING
    assert reap_dead_runs(instance) == []  # idempotent


def test_the_sensor_fails_dead_cli_runs_while_only_the_ui_is_up(tmp_path):
    instance = dg.DagsterInstance.local_temp(str(tmp_path))
    instance.event_log_storage.set_concurrency_slots("asr", 1)
    dead = _run_holding_asr(instance, _dead_worker())
    with dg.build_sensor_context(instance=instance) as context:
        result = dead_runs_sensor(context)
    assert f"run {dead[:8]}: its worker process" in result.skip_message
    assert instance.get_run_by_id(dead).status == FAILED
    assert _asr_holders(instance) == set()


def _speech(path: Path) -> Path:
    """~26 s of real speech, so the transcript step is long enough to catch."""
    clips = [LIBRIVOX / f"sense_and_sensibility_01_austen_64kb-08{n}0.wav" for n in (7, 8, 9)]
    inputs = [arg for clip in [*clips, JFK] for arg in ("-i", str(clip))]
    ffmpeg(*inputs, "-filter_complex", "concat=n=4:v=0:a=1", str(path))
    return path


class _Lines:
    """A child's stderr, line by line, read in the background (for bounded waits)."""

    def __init__(self, stream):
        self.seen: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self._queue.put(line) for line in stream],
                         daemon=True).start()

    def wait_for(self, text: str, timeout: float) -> str:
        while True:
            line = self._queue.get(timeout=timeout)
            self.seen.append(line)
            if text in line:
                return line


@pytest.mark.slow
def test_a_killed_run_frees_its_pool_and_a_waiting_run_stops_on_ctrl_c(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(home), "PATTERN_PIVOT_DATA_DIR":
           str(tmp_path / "data"), "PATTERN_PIVOT_ASR_MODEL": "tiny.en"}
    speech = _speech(tmp_path / "speech.wav")
    instance = dg.DagsterInstance.from_config(str(home))
    children = []

    def start(*args) -> subprocess.Popen:
        children.append(subprocess.Popen([CLI, *args], env=env, cwd=tmp_path, text=True,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        return children[-1]

    try:
        # 1. A run that holds the asr slot, frozen mid-transcript: alive, so it keeps it.
        first = start("add", str(speech), str(JFK), "--run")
        first_run = None
        for _ in range(6000):  # at most ~10 min: the step starts after the model loads
            assert first.poll() is None, first.communicate()
            holders = (_asr_holders(instance)
                       if "asr" in instance.event_log_storage.get_concurrency_keys() else ())
            first_run = next(iter(holders), None)
            if first_run:
                break
            time.sleep(0.1)
        first.send_signal(signal.SIGSTOP)
        video_id = instance.get_run_by_id(first_run).tags["dagster/partition"]
        [other_id] = {e.video_id for e in Catalog(tmp_path / "data/catalog.sqlite").entries()
                      } - {video_id}

        # 2. The next run waits for it, says so, and Ctrl-C stops it (it used to spin for ever)
        # and the command: the second video is not started.
        waiting = start("ingest", video_id, other_id)
        said = _Lines(waiting.stderr).wait_for("waiting:", timeout=300)
        assert "pool 'asr'" in said and first_run[:8] in said and f"pid {first.pid}" in said
        waiting.send_signal(signal.SIGINT)
        assert waiting.wait(timeout=120) == 130
        [blocked_run] = [r for r in instance.get_runs() if r.run_id != first_run]
        assert blocked_run.status == FAILED and blocked_run.tags["dagster/partition"] == video_id
        assert _asr_holders(instance) == {first_run}

        # 3. kill -9 the first run: the next ingest fails it, frees its slot and completes.
        first.kill()
        first.wait(timeout=60)
        assert instance.get_run_by_id(first_run).status == RUNNING  # nobody noticed yet
        proc = subprocess.run([CLI, "ingest", video_id], env=env, cwd=tmp_path, text=True,
                              capture_output=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert f"ok      {video_id}" in proc.stdout
        assert f"run {first_run[:8]}: its worker process {first.pid}" in proc.stderr
        assert "freed asr: video_transcript" in proc.stderr
        assert instance.get_run_by_id(first_run).status == FAILED
        assert _asr_holders(instance) == set()
        assert (tmp_path / "data/media/video_transcript" / video_id / "transcript.json").is_file()
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
