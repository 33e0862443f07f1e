"""Run a remix request from outside the UI (the CLI), on the persistent instance."""

from __future__ import annotations

import dagster as dg

from assets.partitions import remixes_partitions
from sensors.runs import _QUIET, RunOutcome, _first_error


def run_remix(instance: dg.DagsterInstance, request_id: str,
              defs: dg.Definitions | None = None) -> RunOutcome:
    """Add the request's partition (when new) and materialise remix_job for it in-process."""
    if defs is None:
        from pattern_pivot.definitions import defs
    if not instance.has_dynamic_partition(remixes_partitions.name, request_id):
        instance.add_dynamic_partitions(remixes_partitions.name, [request_id])
    result = defs.resolve_job_def("remix_job").execute_in_process(
        partition_key=request_id, instance=instance, raise_on_error=False, run_config=_QUIET)
    return RunOutcome(request_id, result.success, result.run_id,
                      None if result.success else _first_error(result))
