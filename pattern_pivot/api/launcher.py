"""Runs queued jobs in worker processes (``pattern_pivot.api.worker``), a bounded number at
once: the API answers at once and never blocks on a run. Each worker is its own process
group, so a job deleted mid-run is stopped with everything it started (ffmpeg included).
Heavy steps still queue on Dagster's pools (asr, render, ...) across workers and the CLI.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading

from pattern_pivot.api.jobs import JobStore
from pattern_pivot.api.paths import worker_log
from pattern_pivot.settings import Settings

log = logging.getLogger("pattern_pivot.api")
STOP_GRACE_S = 20.0  # a SIGTERM'd run marks itself canceled and frees its pool slots


class Launcher:
    def __init__(self, settings: Settings, jobs: JobStore, workers: int,
                 env: dict[str, str] | None = None):
        self.settings, self.jobs, self.workers = settings, jobs, workers
        self.env = env
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._procs: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    def start(self) -> None:
        """Start the worker slots; jobs left queued by an earlier server are taken again, and
        jobs it left running (its workers stopped with it) are failed with the reason."""
        for job in self.jobs.with_state("running"):
            self.jobs.set_state(job.job_id, "failed", "the API server stopped while this job "
                                "ran; submit it again (finished steps are reused)",
                                only_from=("running",))
        for _ in range(self.workers):
            thread = threading.Thread(target=self._work, name="api-worker", daemon=True)
            thread.start()
            self._threads.append(thread)
        for job in self.jobs.with_state("queued"):
            self._queue.put(job.job_id)

    def submit(self, job_id: str) -> None:
        self._queue.put(job_id)

    def queued(self) -> int:
        return self._queue.qsize()

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None or self._stopping:
                return
            if not self.jobs.set_state(job_id, "running", only_from=("queued",)):
                continue  # deleted while queued
            self._run(job_id)

    def _run(self, job_id: str) -> None:
        logfile = worker_log(self.settings, job_id)
        logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(logfile, "ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "pattern_pivot.api.worker", job_id],
                                    stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    env=self.env)
            with self._lock:
                self._procs[job_id] = proc
            code = proc.wait()
        with self._lock:
            self._procs.pop(job_id, None)
        if code != 0:  # the worker records its own outcome; this catches a crash or a kill
            self.jobs.set_state(job_id, "failed", f"the worker process ended with status "
                                f"{code}; its log: {logfile.name}", only_from=("running",))
        log.info("job %s: worker exited with %s", job_id, code)

    def stop_job(self, job_id: str) -> bool:
        """Stop the job's worker (and what it started); True when one was running."""
        with self._lock:
            proc = self._procs.get(job_id)
        if proc is None:
            return False
        _stop_group(proc)
        return True

    def shutdown(self) -> None:
        self._stopping = True
        for _ in self._threads:
            self._queue.put(None)
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the worker's process group (Dagster marks the run canceled), SIGKILL if it
    does not end in time."""
    for sig, wait in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue

