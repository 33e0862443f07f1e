"""Remix requests from a watched folder: each new or changed YAML/JSON file is validated and
stored as a submission; every submission not yet run (from files, the UI's register_remix
job, or the same request submitted again) becomes a run of its `remixes` partition, a capped
batch at a time.

Nothing is marked as run inside the tick that asks for the runs: the cursor records the
last submission number asked for, Dagster stores it only with the tick's run requests, and
the next tick marks the store up to it. A tick that fails is re-done with the same run keys
(``<request id>@<submission number>``), which Dagster launches only once."""

import json
from pathlib import Path

import dagster as dg

from assets.partitions import remixes_partitions, title_tags
from pattern_pivot.filenames import printable
from pattern_pivot.remix.request import RemixRequestError, load_request_file
from resources import RemixStoreResource
from sensors.jobs import remix_job

REQUEST_SUFFIXES = {".yaml", ".yml", ".json"}
MAX_RUNS_PER_TICK = 10
# Each file is read (at most 128 KiB) only when it changes; this bounds a tick's reading
# when thousands arrive at once. The rest are read by the next ticks.
MAX_FILES_PER_TICK = 50


def _state(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns}:{stat.st_size}"


def _load_cursor(cursor: str | None) -> tuple[dict, int]:
    """(file name -> state of the version last read, last submission number run)."""
    data = json.loads(cursor) if cursor else {}
    if "files" not in data:  # the older cursor: just the file states
        return data, 0
    return dict(data["files"]), int(data.get("through", 0))


def _dump_cursor(files: dict, through: int) -> str:
    # ensure_ascii (the default) keeps names that are not UTF-8 as \udcXX escapes.
    return json.dumps({"files": files, "through": through}, sort_keys=True)


@dg.sensor(job=remix_job, minimum_interval_seconds=30,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Every 30 s: stores remix request files (YAML/JSON) from the requests "
                       "folder and starts a remix_job run for each new submission, including "
                       "those made with register_remix_job in the launchpad (at most 10 runs "
                       "per tick).")
def remix_requests_sensor(context: dg.SensorEvaluationContext,
                          remix_store: RemixStoreResource) -> dg.SensorResult:
    """Stores valid request files (a bad one is logged with what to fix, and retried when the
    file changes) and requests a run per submission that has none yet."""
    seen, through = _load_cursor(context.cursor)
    store = remix_store.store()
    # The runs up to `through` were stored with the cursor that says so.
    store.mark_requested_through(through)
    folder = Path(remix_store.requests_dir)
    files = sorted(p for p in folder.glob("*") if p.is_file()
                   and p.suffix.lower() in REQUEST_SUFFIXES and not p.name.startswith(".")) \
        if folder.is_dir() else []
    read = 0
    for path in files:
        try:
            state = _state(path)
        except OSError:
            continue  # vanished since the listing
        if seen.get(path.name) == state:
            continue
        if read == MAX_FILES_PER_TICK:
            context.log.info("more request files than one tick reads; the rest follow")
            break
        read += 1
        name = printable(path.name)
        try:
            request = load_request_file(path)
        except RemixRequestError as exc:
            context.log.warning(f"remix request file rejected: {exc}")
        except Exception as exc:  # one odd file must not stop the others
            context.log.warning(f"remix request file {name} could not be read "
                                f"({type(exc).__name__}: {str(exc)[:300]}); it is tried "
                                "again when it changes")
        else:
            store.save(request, source=f"file:{name}", key=f"file:{name}@{state}")
        seen[path.name] = state
    pending = store.pending_submissions(MAX_RUNS_PER_TICK)
    if not pending:
        return dg.SensorResult(skip_reason=f"no new remix requests (watching {folder} for "
                                           "YAML/JSON files; launchpad requests also count)",
                               cursor=_dump_cursor(seen, through))
    known = set(context.instance.get_dynamic_partitions(remixes_partitions.name))
    new_keys = list(dict.fromkeys(s.request_id for s in pending if s.request_id not in known))
    return dg.SensorResult(
        dynamic_partitions_requests=[remixes_partitions.build_add_request(new_keys)]
        if new_keys else [],
        run_requests=[dg.RunRequest(partition_key=s.request_id,
                                    run_key=f"{s.request_id}@{s.number}",
                                    tags=title_tags(store.get(s.request_id).label))
                      for s in pending],
        cursor=_dump_cursor(seen, max(through, pending[-1].number)))
