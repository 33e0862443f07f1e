"""A job's progress, read from the Dagster instance: the runs tagged with the job id, and in
each the steps that ended against the steps its execution plan holds. A job of several phases
(ingest, then shorts) weighs each phase equally."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from pattern_pivot.api.worker import JOB_TAG, PHASES

_ENDED_STEP = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE,
               dg.DagsterEventType.STEP_SKIPPED}
_FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE,
             dg.DagsterRunStatus.CANCELED}


@dataclass(frozen=True)
class RunProgress:
    run_id: str
    job_name: str
    status: str
    steps_done: int
    steps_total: int
    current_step: str | None

    @property
    def fraction(self) -> float:
        if self.status == dg.DagsterRunStatus.SUCCESS.value:
            return 1.0
        return self.steps_done / self.steps_total if self.steps_total else 0.0


class ProgressReader:
    """Progress of jobs from their runs; a finished run's numbers are kept (they never change)."""

    def __init__(self, instance: dg.DagsterInstance):
        self.instance = instance
        self._finished: dict[str, RunProgress] = {}
        self._totals: dict[str, int] = {}

    def runs(self, job_id: str) -> list[RunProgress]:
        runs = self.instance.get_runs(filters=dg.RunsFilter(tags={JOB_TAG: job_id}))
        return [self._progress(run) for run in reversed(runs)]  # oldest first

    def _progress(self, run: dg.DagsterRun) -> RunProgress:
        if run.run_id in self._finished:
            return self._finished[run.run_id]
        total = self._total(run)
        records = self.instance.get_records_for_run(run.run_id, of_type=_ENDED_STEP).records
        ended = {r.event_log_entry.step_key for r in records}
        started = self.instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.STEP_START, ascending=False, limit=1).records
        current = started[0].event_log_entry.step_key if started else None
        progress = RunProgress(run.run_id, run.job_name, run.status.value, len(ended), total,
                               None if current in ended else current)
        if run.status in _FINISHED:
            self._finished[run.run_id] = progress
        return progress

    def _total(self, run: dg.DagsterRun) -> int:
        snapshot_id = run.execution_plan_snapshot_id
        if snapshot_id not in self._totals:
            plan = self.instance.get_execution_plan_snapshot(snapshot_id) if snapshot_id else None
            self._totals[snapshot_id] = len(plan.step_keys_to_execute) if plan else 0
        return self._totals[snapshot_id]


def percentage(kind: str, state: str, runs: list[RunProgress]) -> float:
    """0-100 over the kind's phases; 100 only once the job completed."""
    if state == "completed":
        return 100.0
    phases = PHASES[kind]
    done = 0.0
    for n, name in enumerate(phases):
        latest = [r for r in runs if r.job_name == name]
        if latest:
            done = n + latest[-1].fraction
    return round(min(99.0, 100.0 * done / len(phases)), 1)
