"""Watch the channel folder: each new media file becomes a `videos` partition and a run."""

from pathlib import Path

import dagster as dg

from assets.partitions import title_tags, videos_partitions
from pattern_pivot import discovery
from pattern_pivot.catalog import Catalog, CatalogEntry
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.filenames import printable
from resources import CatalogResource
from sensors.jobs import ingest_job

# A first look at a 2,000-video folder must not launch 2,000 runs at once.
MAX_NEW_FILES_PER_TICK = 20
# Each new file is hashed whole (its id is its SHA-256) inside the tick, and a tick that
# outlasts the sensor timeout (60 s) is thrown away, cursor and all. 1 GiB hashes in a few
# seconds on a local disk and in about 20 s at 50 MB/s; the oldest file is taken even if it
# is bigger, alone, so every tick moves the cursor on. Files the catalog already hashed cost
# nothing.
MAX_NEW_BYTES_PER_TICK = 1 << 30
# A file must have last changed this long before its catalog entry was made for the entry
# to be reused: file system clocks are coarse (a few ms) or a little off.
_CLOCK_MARGIN_S = 1.0


class _HashedFiles:
    """Catalog entries whose hash is still good for a file found in the folder: registered
    from this very path (by `pattern-pivot add`, or a tick whose result was lost) after the
    file last changed, with the same size. Those are not hashed again."""

    def __init__(self, store: Catalog):
        self._store = store
        self._by_path: dict[str, CatalogEntry] | None = None  # read when a file is new

    def entry(self, found: discovery.FoundFile) -> CatalogEntry | None:
        if self._by_path is None:
            self._by_path = {e.source_uri: e for e in self._store.entries()
                             if e.source_kind == "file"}
        if not self._by_path:
            return None
        try:
            entry = self._by_path.get(str(found.path.resolve()))
        except OSError:
            return None
        if entry and entry.size_bytes == found.size and \
                found.changed_ns / 1e9 < entry.added_at - _CLOCK_MARGIN_S:
            return entry
        return None


@dg.sensor(job=ingest_job, minimum_interval_seconds=30,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Every 30 s: registers new media files in the watched channel folder "
                       "(PATTERN_PIVOT_WATCH_DIR) as `videos` partitions and starts their "
                       "ingest_job runs, at most 20 files / 1 GiB per tick. Files that are "
                       "not media are logged once and then remembered; the tick says why "
                       "nothing was requested.")
def channel_folder_sensor(context: dg.SensorEvaluationContext,
                          catalog: CatalogResource) -> dg.SensorResult:
    """Registers new media files in the watched folder and requests their ingest runs,
    at most 20 files and 1 GiB per evaluation. A file that cannot be registered is logged
    and tried again when it changes."""
    cursor = discovery.load_cursor(context.cursor)
    store = catalog.catalog()
    hashed = _HashedFiles(store)
    scan = discovery.scan_folder(
        Path(catalog.watch_dir), cursor.handled(), set(catalog.extensions),
        limit=MAX_NEW_FILES_PER_TICK, max_bytes=MAX_NEW_BYTES_PER_TICK,
        cost=lambda found: 0 if hashed.entry(found) else found.size,
        settle_seconds=catalog.settle_seconds)
    for found in scan.undecodable:
        context.log.warning(f"skipping {printable(found.relpath)!r}: its name is not valid "
                            "UTF-8, so it cannot be catalogued. Fix: rename it (e.g. "
                            "`convmv -f latin1 -t utf8 --notest FILE`)")
        cursor.rejected(found)
    known = set(context.instance.get_dynamic_partitions(videos_partitions.name))
    new_keys: list[str] = []
    titles: dict[str, str] = {}
    for found in scan.new:
        try:
            entry = hashed.entry(found) or store.register_file(found.path)
        except (PatternPivotError, OSError) as exc:
            context.log.warning(f"could not register {found.relpath}: {exc} (tried again "
                                "when the file changes)")
            cursor.rejected(found)
            continue
        cursor.registered(found)
        if entry.video_id not in known and entry.video_id not in new_keys:
            new_keys.append(entry.video_id)
            titles[entry.video_id] = entry.title
    for found in scan.ignored:
        # Logged once: the cursor remembers it until the file changes.
        context.log.info(f"ignoring {printable(found.relpath)!r}: not a supported media file "
                         f"(watched extensions: {', '.join(sorted(catalog.extensions))})")
        cursor.rejected(found)
    if not new_keys:
        return dg.SensorResult(
            skip_reason=f"no new videos in {catalog.watch_dir} ({scan.pending} pending: "
                        f"still being written or over this tick's limits; "
                        f"{len(cursor.failed)} files skipped: not media or unreadable)",
            cursor=discovery.dump_cursor(cursor))
    if scan.pending:
        context.log.info(f"{len(scan.new)} files registered, {scan.pending} left for later "
                         "ticks")
    return dg.SensorResult(
        dynamic_partitions_requests=[videos_partitions.build_add_request(new_keys)],
        run_requests=[dg.RunRequest(partition_key=key, run_key=key,
                                    tags=title_tags(titles[key])) for key in new_keys],
        cursor=discovery.dump_cursor(cursor),
    )
