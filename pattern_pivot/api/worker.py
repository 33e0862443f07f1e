"""One API job, run in its own process like the CLI runs jobs: ``python -m
pattern_pivot.api.worker JOB_ID``. The partitions are registered and the jobs executed on the
persistent instance by ``pattern_pivot.cli.runs`` (dead-worker sweep, pool waits), each run
tagged with the job id so the API finds its progress. The pipeline itself is Dagster's.
"""

from __future__ import annotations

import logging
import sys

from pattern_pivot.api.jobs import JobStore
from pattern_pivot.api.paths import job_store_path
from pattern_pivot.settings import Settings

JOB_TAG = "pattern_pivot/api_job"
# The jobs each kind runs, in order (the status endpoint weighs progress by them).
PHASES = {"shorts": ("ingest_job", "shorts_job"), "remix": ("remix_job",),
          "faceless": ("remix_job",)}

log = logging.getLogger("pattern_pivot.api.worker")


def shorts_config(params: dict) -> dict:
    config = {"count": int(params.get("num_clips", 3)),
              "min_length": float(params.get("min_length", 15.0)),
              "max_length": float(params.get("max_length", 60.0)),
              "format": params.get("aspect_ratio", "9:16")}
    return {"ops": {"video_highlights": {"config": config}, "video_shorts": {"config": config}}}


def run_job(job_id: str, settings: Settings) -> tuple[bool, str | None]:
    """Run the job's Dagster jobs one after another; (success, first error)."""
    from pattern_pivot.cli.runs import add_partitions, execute, instance_for
    from pattern_pivot.definitions import defs

    jobs = JobStore(job_store_path(settings))
    job = jobs.get(job_id)
    if job is None:
        return False, f"job {job_id} no longer exists"
    instance = instance_for(settings)
    tags = {JOB_TAG: job_id}
    say = log.info
    if job.kind == "shorts":
        add_partitions(instance, [job.partition])
        title = job.params.get("file_name")
        ingest = execute(instance, defs.resolve_job_def("ingest_job"), job.partition, say,
                         title=title, tags=tags)
        if not ingest.success:
            return False, f"ingest failed: {ingest.error}"
        shorts = execute(instance, defs.resolve_job_def("shorts_job"), job.partition, say,
                         run_config=shorts_config(job.params), title=title, tags=tags)
        return shorts.success, shorts.error
    from assets.partitions import remixes_partitions

    if not instance.has_dynamic_partition(remixes_partitions.name, job.partition):
        instance.add_dynamic_partitions(remixes_partitions.name, [job.partition])
    outcome = execute(instance, defs.resolve_job_def("remix_job"), job.partition, say,
                      title=job.params.get("topic") or None, tags=tags)
    return outcome.success, outcome.error


def main(argv: list[str]) -> int:
    from pattern_pivot.cli.runs import RunInterrupted

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    job_id = argv[0]
    settings = Settings.from_env()
    jobs = JobStore(job_store_path(settings))
    try:
        success, error = run_job(job_id, settings)
    except RunInterrupted as stop:
        jobs.set_state(job_id, "canceled", str(stop), only_from=("queued", "running"))
        return 130
    except Exception as exc:  # noqa: BLE001 - the job fails with the reason, never silently
        log.exception("job %s crashed", job_id)
        jobs.set_state(job_id, "failed", f"{type(exc).__name__}: {exc}",
                       only_from=("queued", "running"))
        return 1
    jobs.set_state(job_id, "completed" if success else "failed", error,
                   only_from=("queued", "running"))
    log.info("job %s %s%s", job_id, "completed" if success else "failed",
             f": {error}" if error else "")
    return 0 if success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
