"""The adapter that reads the run-health report's records from a Dagster instance (runs,
their event logs, sensor and schedule ticks) into the plain records of
pattern_pivot.health.report: used by `pattern-pivot report` and the daily
`run_health_report` asset."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Mapping

import dagster as dg

# Tick storage has no public API yet; these two types are its vocabulary.
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.scheduler.instigation import TickStatus

from assets.partitions import TITLE_TAG
from pattern_pivot.health.redact import environment_secrets
from pattern_pivot.health.report import (
    WHOLE_RUN,
    HealthReport,
    RunRecord,
    StepProblem,
    TickFailures,
    build_report,
)

MAX_RUNS = 5000  # newest runs read per report: a day of a busy instance, not its history
_EVENTS = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_UP_FOR_RETRY,
           dg.DagsterEventType.RUN_FAILURE}


def _innermost(error) -> tuple[str, str]:
    """(message, class name) of the user's exception that Dagster wrapped."""
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "step failed", "Error"
    message = error.message.strip()
    return message, error.cls_name or "Error"


def _problem(step_key: str, data) -> StepProblem:
    """A StepFailureData or StepRetryData as the report's record."""
    user = getattr(data, "user_failure_data", None)
    if user is not None and user.description:
        meta = {k: getattr(v, "value", v) for k, v in (user.metadata or {}).items()}
        return StepProblem(step_key, user.description, meta.get("fix") or None,
                           meta.get("problem") or None)
    message, cls = _innermost(data.error)
    return StepProblem(step_key, message, None, cls if message.startswith(cls) else None)


def _run_record(instance: dg.DagsterInstance, record,
                titles: Mapping[str, str]) -> RunRecord:
    run = record.dagster_run
    partition = run.tags.get("dagster/partition")
    failures, retries, run_failure = [], [], None
    for entry in instance.all_logs(run.run_id, of_type=_EVENTS):
        event = entry.dagster_event
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            failures.append(_problem(event.step_key, event.event_specific_data))
        elif event.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY:
            retries.append(_problem(event.step_key, event.event_specific_data))
        else:
            run_failure = event.message or "the run failed"
    if run.status == dg.DagsterRunStatus.FAILURE and not failures:
        # Failed outside any step: at launch, or its worker died (dead_runs marks those).
        failures.append(StepProblem(WHOLE_RUN, run_failure or "the run failed"))
    # Runs started by sensors carry no title tag: the catalog knows the video's title.
    title = run.tags.get(TITLE_TAG) or (titles.get(partition) if partition else None)
    return RunRecord(run.run_id, run.job_name, run.status.value, partition, title,
                     record.create_timestamp.timestamp(), tuple(failures), tuple(retries),
                     run.parent_run_id)


def _tick_failures(instance: dg.DagsterInstance, since: float) -> list[TickFailures]:
    found = []
    if instance.schedule_storage is None:  # an ephemeral instance keeps no ticks
        return found
    for state in instance.all_instigator_state():
        if state.instigator_type not in (InstigatorType.SENSOR, InstigatorType.SCHEDULE):
            continue
        ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, after=since,
                                   statuses=[TickStatus.FAILURE])
        if ticks:
            last = max(ticks, key=lambda t: t.timestamp)
            error = last.error.message if last.error else "the tick failed"
            found.append(TickFailures(state.instigator_name, state.instigator_type.value.lower(),
                                      len(ticks), error, last.timestamp))
    return found


def _succeeded(instance: dg.DagsterInstance,
               pairs: set[tuple[str, str | None]]) -> set[tuple[str, str | None]]:
    done, partitioned = set(), {}
    for asset, partition in pairs:
        if asset == WHOLE_RUN:
            continue
        key = dg.AssetKey(asset.split("__"))
        if partition is None:
            if instance.get_latest_materialization_event(key) is not None:
                done.add((asset, None))
            continue
        if asset not in partitioned:
            partitioned[asset] = instance.get_materialized_partitions(key)
        if partition in partitioned[asset]:
            done.add((asset, partition))
    return done


def catalog_titles(catalog) -> dict[str, str]:
    return {e.video_id: e.title for e in catalog.entries() if e.title}


def read_run_health(instance: dg.DagsterInstance, days: float = 1.0,
                    now: float | None = None,
                    titles: Mapping[str, str] | None = None) -> HealthReport:
    """The report of the last ``days`` days of this instance (secrets in the environment
    redacted from every message)."""
    until = time.time() if now is None else now
    since = until - days * 86400
    records = instance.get_run_records(
        filters=dg.RunsFilter(updated_after=datetime.fromtimestamp(since, tz=timezone.utc)),
        limit=MAX_RUNS)
    runs = [_run_record(instance, r, titles or {}) for r in records]
    pairs = {(p.asset, r.partition) for r in runs for p in r.failures}
    return build_report(runs, _tick_failures(instance, since), _succeeded(instance, pairs),
                        since=since, until=until, secrets=environment_secrets())
