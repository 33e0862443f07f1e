"""Waiting for a pool slot inside a CLI (in-process) run: say what blocks it, keep checking for
dead holders, stop on Ctrl-C or SIGTERM, and sleep between checks.

Dagster's in-process executor (1.13) waits for a pool slot in a loop that never sleeps
(``InstanceConcurrencyContext.interval_to_next_pending_claim_check`` returns ``min(0, ...)``) and
never looks at the interrupt it captured, so a blocked CLI run spins a core and ignores Ctrl-C;
its only message is "Step blocked by limit for pool asr" in the event log. While one of our
runs executes, ``pool_waits`` replaces the executor's idle hook with one that does it right.
It is scoped to the ``with`` block (the CLI runs one job at a time in its main thread) and
touches nothing when no step is waiting on a pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.execution.plan.active import ActiveExecution
from dagster._utils.interrupts import check_captured_interrupt

from pattern_pivot.cli.dead_runs import describe_worker, reap_dead_runs, slot_holders

POLL_SECONDS = 0.5  # how soon Ctrl-C is honoured; slot claims themselves back off to 15 s
REAP_EVERY_SECONDS = 5.0  # a holder that dies while we wait is noticed this fast
REPEAT_EVERY_SECONDS = 60.0  # an unchanged "still waiting" line, at most this often


class PoolWaiter:
    """What one CLI process tells the user while its runs wait on pools."""

    def __init__(self, instance: dg.DagsterInstance, say: Callable[[str], None]):
        self.instance = instance
        self.say = say
        self.interrupted = False
        self._last_message = ""
        self._last_said = 0.0
        self._next_reap = 0.0

    def idle(self, active: ActiveExecution, pending_steps: list[str]) -> None:
        """One turn of the executor's wait for slots."""
        if check_captured_interrupt():
            self.interrupted = True
            raise DagsterExecutionInterruptedError(
                f"interrupted while waiting for a pool slot ({', '.join(pending_steps)})")
        now = time.monotonic()
        if now >= self._next_reap:
            self._next_reap = now + REAP_EVERY_SECONDS
            for reaped in reap_dead_runs(self.instance):
                self.say(str(reaped))
        message = self._describe(active, pending_steps)
        if message != self._last_message or now - self._last_said >= REPEAT_EVERY_SECONDS:
            self.say(message)
            self._last_message, self._last_said = message, now
        time.sleep(POLL_SECONDS)

    def _describe(self, active: ActiveExecution, pending_steps: list[str]) -> str:
        lines = []
        for step_key in sorted(pending_steps):
            step = active.get_step_by_key(step_key)
            pool = step.pool or "?"
            info = self.instance.event_log_storage.get_concurrency_info(pool)
            holders = [self._holder(run_id, held_step)
                       for run_id, held_step in slot_holders(self.instance, pool)]
            lines.append(f"waiting: {step_key} needs a slot of pool {pool!r} "
                         f"(limit {info.limit}), held by "
                         f"{'; '.join(holders) or 'nothing yet (claiming)'}")
        return "\n".join(lines) + "\n  (Ctrl-C stops; `dagster instance concurrency set " \
            "POOL N` raises a limit)"

    def _holder(self, run_id: str, step_key: str) -> str:
        run = self.instance.get_run_by_id(run_id)
        partition = run.tags.get("dagster/partition", "") if run else ""
        return (f"run {run_id[:8]} ({run.job_name if run else '?'} {partition}, step {step_key}, "
                f"{describe_worker(run)})")


@contextmanager
def pool_waits(instance: dg.DagsterInstance, say: Callable[[str], None]) -> Iterator[PoolWaiter]:
    waiter = PoolWaiter(instance, say)
    original = ActiveExecution.sleep_til_ready

    def sleep_til_ready(active: ActiveExecution) -> None:
        context = active._instance_concurrency_context  # noqa: SLF001 (see module docstring)
        if context is not None and context.has_pending_claims():
            waiter.idle(active, context.pending_claim_steps())
        else:
            original(active)

    ActiveExecution.sleep_til_ready = sleep_til_ready
    try:
        yield waiter
    finally:
        ActiveExecution.sleep_til_ready = original
