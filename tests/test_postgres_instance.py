"""docker/dagster.yaml used for real: a Dagster instance on a real PostgreSQL server
(started by the test on 127.0.0.1), an ingest slice run in-process, and a remix submitted to
the QueuedRunCoordinator and launched by a real `dagster-daemon` process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psutil
import psycopg2
import pytest
import yaml

from assets.partitions import remixes_partitions, videos_partitions
from pattern_pivot.catalog import Catalog
from pattern_pivot.definitions import build_definitions
from pattern_pivot.remix.request import parse_request
from pattern_pivot.remix.store import RemixStore
from pattern_pivot.settings import Settings
from tests.conftest import COCKATOO, REPO
from tests.postgres_support import postgres_server

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
STORY = ("A small bakery opens before dawn.\n\n"
         "The baker shapes each loaf by hand and lets it rise slowly.")


def _instance_config(port: int, home: Path) -> dict:
    """docker/dagster.yaml as shipped, except what needs a Docker engine or its volume."""
    config = yaml.safe_load((REPO / "docker" / "dagster.yaml").read_text())
    config["storage"]["postgres"]["postgres_db"]["port"] = port
    del config["run_launcher"]  # DockerRunLauncher -> runs as local processes
    config["local_artifact_storage"]["config"]["base_dir"] = str(home)
    config["compute_logs"]["config"]["base_dir"] = str(home / "compute_logs")
    return config


def _wait_for_run(instance: dg.DagsterInstance, partition: str, daemon: subprocess.Popen,
                  log: Path) -> dg.DagsterRun:
    """The first remix run of ``partition``, once finished."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        runs = instance.get_runs(dg.RunsFilter(job_name="remix_job",
                                               tags={"dagster/partition": partition}))
        if runs and runs[-1].is_finished:
            return runs[-1]
        assert daemon.poll() is None, log.read_text()[-3000:]
        time.sleep(2)
    raise AssertionError(f"no finished remix run after 10 min: {log.read_text()[-3000:]}")


def _stop_with_children(process: subprocess.Popen) -> None:
    """The daemon and the code server and run processes it started."""
    children = psutil.Process(process.pid).children(recursive=True)
    process.terminate()
    process.wait(timeout=60)
    for child in children:
        if child.is_running():
            child.terminate()
    psutil.wait_procs(children, timeout=30)


def test_ingest_and_a_queued_remix_on_postgres(tmp_path, monkeypatch):
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    with postgres_server() as pg:
        (home / "dagster.yaml").write_text(yaml.safe_dump(_instance_config(pg.port, home)))
        (home / "workspace.yaml").write_text(yaml.safe_dump({"load_from": [{"python_module": {
            "module_name": "pattern_pivot.definitions", "working_directory": str(REPO)}}]}))
        env = {**pg.env(), "DAGSTER_HOME": str(home), "PATTERN_PIVOT_DATA_DIR": str(data),
               "PATTERN_PIVOT_ASR_MODEL": "tiny.en", "PYTHONPATH": str(REPO)}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        instance = dg.DagsterInstance.get()
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"

        # An ingest slice, in this process, recorded in Postgres.
        settings = Settings.from_env()
        video = Catalog(settings.catalog_path).register_file(COCKATOO).video_id
        instance.add_dynamic_partitions(videos_partitions.name, [video])
        ingest = build_definitions(settings).resolve_job_def("ingest_job").execute_in_process(
            partition_key=video, instance=instance,
            asset_selection=[dg.AssetKey("source_video"), dg.AssetKey("video_audio")])
        assert ingest.success
        assert (data / "media" / "video_audio" / video / "audio.wav").stat().st_size > 10_000

        # A remix through the queue: the daemon's remix_requests_sensor submits the stored
        # request, the QueuedRunCoordinator queues it, the daemon dequeues it within the pool
        # and run limits and launches it as its own process.
        request = parse_request({"mode": "faceless", "story": STORY, "length": 6})
        RemixStore(settings.remix_store_path).save(request, source="test")
        instance.add_dynamic_partitions(remixes_partitions.name, [request.request_id])
        log = tmp_path / "daemon.log"
        with open(log, "w") as out:
            daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w",
                                       str(home / "workspace.yaml")], cwd=REPO, env={
                **os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        try:
            run = _wait_for_run(instance, request.request_id, daemon, log)
        finally:
            _stop_with_children(daemon)
        events = [e.dagster_event.event_type_value for e in instance.all_logs(run.run_id)
                  if e.dagster_event]
        assert run.status == dg.DagsterRunStatus.SUCCESS, events
        # Queued first, then launched by the daemon (STARTING), then started in its process.
        assert events.index("PIPELINE_ENQUEUED") < events.index("PIPELINE_STARTING") < \
            events.index("PIPELINE_START")
        assert instance.get_latest_materialization_event(
            dg.AssetKey("remix_video")).dagster_event.partition == request.request_id
        assert list((data / "media" / "remix_video" / request.request_id).glob("*.mp4"))
        checks = [e.dagster_event.event_specific_data for e in instance.all_logs(run.run_id)
                  if e.dagster_event and e.dagster_event.event_type_value ==
                  "ASSET_CHECK_EVALUATION"]
        assert checks and all(c.passed for c in checks), [
            (c.check_name, c.description) for c in checks if not c.passed]

        # Everything above is rows in the Postgres server, not files under DAGSTER_HOME.
        with psycopg2.connect(host=pg.host, port=pg.port, user=pg.user, password=pg.password,
                              dbname=pg.db) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM runs WHERE status = 'SUCCESS'")
            assert cursor.fetchone()[0] == 2
