"""Find runs whose worker process died (kill -9, a crash, a closed laptop lid mid-run) and free
what they hold.

The CLI runs jobs in its own process, so no run launcher or daemon can tell when that process
dies: the run would stay STARTED for ever, count against ``max_concurrent_runs`` and keep its
pool slots (one ``asr`` slot blocks every later transcript). Each CLI run is therefore tagged
with the host, pid and start time of its worker; before every launch, and while waiting on a
pool, runs whose worker is gone are reported failed and their slots freed. Slots still held by
runs that already ended (marked failed in the UI, say) are freed too.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import dagster as dg
import psutil

WORKER_TAG = "pattern_pivot/worker"  # "<host> <pid> <process start time>"
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
               dg.DagsterRunStatus.CANCELING]
ENDED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def _start_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def worker_tags() -> dict[str, str]:
    """The tag that lets a later process tell whether this one is still running the run."""
    pid = psutil.Process().pid
    return {WORKER_TAG: f"{socket.gethostname()} {pid} {_start_time(pid):.3f}"}


def why_dead(run: dg.DagsterRun) -> str | None:
    """Why the run's worker is known to be gone; None while it may be alive (or it is not a CLI
    run, or it ran on another host, where this process cannot look)."""
    try:
        host, pid, started = run.tags[WORKER_TAG].split()
        pid_number, start = int(pid), float(started)
    except (KeyError, ValueError):
        return None
    if host != socket.gethostname():
        return None
    now = _start_time(pid_number)
    if now is None:
        return f"its worker process {pid} on {host} is gone (killed or crashed)"
    if abs(now - start) > 1.0:  # the pid now belongs to another program
        return f"its worker process {pid} on {host} is gone (the pid was reused)"
    try:
        if psutil.Process(pid_number).status() == psutil.STATUS_ZOMBIE:
            return f"its worker process {pid} on {host} exited without ending the run"
    except psutil.Error:
        return f"its worker process {pid} on {host} is gone (killed or crashed)"
    return None


@dataclass(frozen=True)
class Reaped:
    run_id: str
    reason: str  # why it was failed, or why only its slots were freed
    freed: tuple[str, ...]  # "pool: step" for each slot it held
    marked_failed: bool

    def __str__(self) -> str:
        done = "marked it failed" if self.marked_failed else "nothing else to do"
        freed = f"freed {', '.join(self.freed)}" if self.freed else "it held no slot"
        return f"run {self.run_id[:8]}: {self.reason}; {done}, {freed}"


def reap_dead_runs(instance: dg.DagsterInstance) -> list[Reaped]:
    """Report in-progress runs with a dead worker as failed and free their pool slots; free the
    slots still held by runs that already ended. Returns what was done."""
    reaped = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        reason = why_dead(run)
        if reason is None:
            continue
        instance.report_run_failed(
            run, f"Run worker died: {reason}. Marked failed by pattern-pivot, which freed its "
                 "pool slots; re-run it to finish the work.")
        reaped.append(Reaped(run.run_id, reason, _free_slots(instance, run.run_id), True))
    storage = instance.event_log_storage
    holders = (storage.get_concurrency_run_ids() - {r.run_id for r in reaped}
               if storage.supports_global_concurrency_limits else set())
    if holders:
        for run in instance.get_runs(filters=dg.RunsFilter(run_ids=list(holders),
                                                           statuses=ENDED)):
            freed = _free_slots(instance, run.run_id)
            if freed:
                reaped.append(Reaped(run.run_id, f"it had ended ({run.status.value}) but still "
                                                  "held pool slots", freed, False))
    return reaped


def slot_holders(instance: dg.DagsterInstance, pool: str) -> list[tuple[str, str]]:
    """(run id, step key) of every claimed slot of a pool."""
    return [(slot.run_id, slot.step_key)
            for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots]


def _free_slots(instance: dg.DagsterInstance, run_id: str) -> tuple[str, ...]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return ()
    held = tuple(f"{pool}: {step}" for pool in sorted(storage.get_concurrency_keys())
                 for holder, step in slot_holders(instance, pool) if holder == run_id)
    storage.free_concurrency_slots_for_run(run_id)
    return held


def describe_worker(run: dg.DagsterRun | None) -> str:
    """Where a run is running, for messages ("pid 123 on host")."""
    if run is None:
        return "a run no longer in this instance"
    try:
        host, pid, _ = run.tags[WORKER_TAG].split()
    except (KeyError, ValueError):
        return "launched from the Dagster UI or CLI"
    return f"pattern-pivot pid {pid} on {host}"
