"""Remix requests from a watched folder: each new or changed YAML/JSON file is validated and
stored; every stored request not yet run (from files or the UI's register_remix job) becomes
a `remixes` partition and a run, a capped batch at a time."""

import json
from pathlib import Path

import dagster as dg

from assets.partitions import remixes_partitions
from pattern_pivot.remix.request import RemixRequestError, load_request_file
from resources import RemixStoreResource
from sensors.jobs import remix_job

REQUEST_SUFFIXES = {".yaml", ".yml", ".json"}
MAX_RUNS_PER_TICK = 10


def _state(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns}:{stat.st_size}"


@dg.sensor(job=remix_job, minimum_interval_seconds=30,
           default_status=dg.DefaultSensorStatus.RUNNING)
def remix_requests_sensor(context: dg.SensorEvaluationContext,
                          remix_store: RemixStoreResource) -> dg.SensorResult:
    """Stores valid request files (a bad one is logged with what to fix, and retried when the
    file changes) and requests a run per stored request that has none yet."""
    seen: dict = json.loads(context.cursor) if context.cursor else {}
    store = remix_store.store()
    folder = Path(remix_store.requests_dir)
    files = sorted(p for p in folder.glob("*") if p.is_file()
                   and p.suffix.lower() in REQUEST_SUFFIXES and not p.name.startswith(".")) \
        if folder.is_dir() else []
    for path in files:
        state = _state(path)
        if seen.get(path.name) == state:
            continue
        try:
            request = load_request_file(path)
        except RemixRequestError as exc:
            context.log.warning(f"remix request file rejected: {exc}")
        else:
            store.save(request, source=f"file:{path.name}")
        seen[path.name] = state
    pending = store.pending()[:MAX_RUNS_PER_TICK]
    cursor = json.dumps(seen, sort_keys=True)
    if not pending:
        return dg.SensorResult(skip_reason="no new remix requests", cursor=cursor)
    known = set(context.instance.get_dynamic_partitions(remixes_partitions.name))
    new_keys = [k for k in pending if k not in known]
    store.mark_requested(pending)
    return dg.SensorResult(
        dynamic_partitions_requests=[remixes_partitions.build_add_request(new_keys)]
        if new_keys else [],
        run_requests=[dg.RunRequest(partition_key=k, run_key=k) for k in pending],
        cursor=cursor)
