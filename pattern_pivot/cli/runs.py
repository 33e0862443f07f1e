"""Run jobs from outside the UI (the CLI): register partitions and run them in-process on the
persistent instance, as runs of the UI's code location (``run_origin``), so they show up in the
Dagster UI afterwards like the runs it launched.

Every run is tagged with its worker process and preceded by a sweep for runs whose worker died
(``dead_runs``), and waits on pools say what they wait for and stop on Ctrl-C (``pool_wait``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import typer

from assets.partitions import remixes_partitions, title_tags, videos_partitions
from pattern_pivot.cli.dead_runs import reap_dead_runs, worker_tags
from pattern_pivot.cli.pool_wait import pool_waits
from pattern_pivot.cli.run_origin import execute_in_location
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.settings import Settings


@dataclass(frozen=True)
class RunOutcome:
    video_id: str  # the partition: a video id, or a remix request id
    success: bool
    run_id: str
    error: str | None


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a run (Dagster marked it failed or canceled); the caller stops
    too instead of starting the next one."""

    def __init__(self, outcome: RunOutcome):
        super().__init__(f"run {outcome.run_id} for {outcome.video_id} was interrupted")
        self.outcome = outcome


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def instance_for(settings: Settings) -> dg.DagsterInstance:
    """The persistent instance in $DAGSTER_HOME (default: <data dir>/dagster)."""
    if not os.environ.get("DAGSTER_HOME"):
        home = settings.data_dir / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        config = Path.cwd() / "dagster.yaml"
        if config.is_file() and not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").symlink_to(config)
        os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def add_partitions(instance: dg.DagsterInstance, keys: list[str]) -> list[str]:
    """Add the keys not yet known; returns the ones added."""
    known = set(instance.get_dynamic_partitions(videos_partitions.name))
    new = [k for k in dict.fromkeys(keys) if k not in known]
    if new:
        instance.add_dynamic_partitions(videos_partitions.name, new)
    return new


# The CLI prints one line per video; the full event log is in the instance (and the UI).
_QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
_INTERRUPTS = {"DagsterExecutionInterruptedError", "KeyboardInterrupt"}


def _first_error(result: dg.JobExecutionResult) -> str | None:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                return data.user_failure_data.description
            return data.error.message.strip() if data.error else "step failed"
        if event.is_job_failure:
            return event.message
    return None


def _was_interrupted(result: dg.JobExecutionResult) -> bool:
    """Dagster turns Ctrl-C inside a step into a step failure: find it."""
    return any(event.is_step_failure and event.step_failure_data
               and event.step_failure_data.error
               and event.step_failure_data.error.cls_name in _INTERRUPTS
               for event in result.all_events)


def execute(instance: dg.DagsterInstance, job: dg.JobDefinition, partition_key: str,
            say: Callable[[str], None] = _to_stderr, run_config: dict | None = None,
            title: str | None = None, tags: dict[str, str] | None = None) -> RunOutcome:
    """Run one partition of a job here, after freeing what dead runs hold. Raises
    RunInterrupted when Ctrl-C or SIGTERM stopped it. ``tags`` are added to the run's (the
    HTTP API finds a job's runs by them)."""
    for reaped in reap_dead_runs(instance):
        say(str(reaped))
    with pool_waits(instance, say) as waiter:
        result = execute_in_location(instance, job, partition_key,
                                     run_config=_QUIET | (run_config or {}),
                                     tags=worker_tags() | title_tags(title) | (tags or {}))
    outcome = RunOutcome(partition_key, result.success, result.run_id,
                         None if result.success else _first_error(result))
    if waiter.interrupted or _was_interrupted(result):
        raise RunInterrupted(outcome)
    return outcome


def run_ingest(instance: dg.DagsterInstance, keys: list[str],
               defs: dg.Definitions | None = None,
               say: Callable[[str], None] = _to_stderr) -> Iterator[RunOutcome]:
    """Run the ingest job for each video, yielding each outcome as its run ends; one failure
    never stops the others (Ctrl-C does: RunInterrupted)."""
    if defs is None:
        from pattern_pivot.definitions import defs
    job = defs.resolve_job_def("ingest_job")
    videos = defs.resources["catalog"].catalog()
    for key in keys:
        yield execute(instance, job, key, say,
                      title=_title(lambda key=key: videos.get(key).title))


def run_remix(instance: dg.DagsterInstance, request_id: str,
              defs: dg.Definitions | None = None,
              say: Callable[[str], None] = _to_stderr) -> RunOutcome:
    """Add the request's partition (when new) and materialise remix_job for it in-process."""
    if defs is None:
        from pattern_pivot.definitions import defs
    if not instance.has_dynamic_partition(remixes_partitions.name, request_id):
        instance.add_dynamic_partitions(remixes_partitions.name, [request_id])
    label = _title(lambda: defs.resources["remix_store"].store().get(request_id).label)
    return execute(instance, defs.resolve_job_def("remix_job"), request_id, say, title=label)


def ingest_first(instance: dg.DagsterInstance, video_id: str, defs: dg.Definitions) -> None:
    """Register ``video_id`` (when new) and ingest it, for commands that build on a video;
    a failed ingest ends the command with its error."""
    add_partitions(instance, [video_id])
    ingested = next(iter(run_ingest(instance, [video_id], defs)))
    if not ingested.success:
        typer.secho(f"error: ingest of {video_id} failed: {ingested.error}",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)


def _title(lookup: Callable[[], str]) -> str | None:
    """A run's title tag is a courtesy: an unknown id fails inside the run, with its reason."""
    try:
        return lookup()
    except PatternPivotError:
        return None
