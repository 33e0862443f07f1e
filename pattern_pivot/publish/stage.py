"""Publishing one rendered output (a remix request's variant): its copy, its thumbnails, and
the upload, dry run unless asked.

Layout: ``publish/<request>/variant-<n>.copy.json``, ``variant-<n>.thumb-<k>.jpg`` and
``variant-<n>.thumbnails.json`` in the media store; the exact requests of a publish go beside
the MP4 as ``remix_video/<request>/variant-<n>.publish.json``. What was uploaded is in
``published.sqlite`` beside the catalog. Everything is read and written through the store, so
an S3-backed deployment publishes with an empty local mirror.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from pattern_pivot.catalog import Catalog
from pattern_pivot.errors import CatalogError, PatternPivotError
from pattern_pivot.hashing import file_sha256, inputs_digest
from pattern_pivot.media.store import MediaStore, as_store
from pattern_pivot.publish.copy import Encoder, PublishCopy, build_copy
from pattern_pivot.publish.limits import Chapter
from pattern_pivot.publish.thumbnails import FrameScore, Thumbnail, make_thumbnails
from pattern_pivot.publish.upload import (
    Publication,
    PublishError,
    PublishLedger,
    UploadOptions,
    planned_requests,
    upload,
    video_body,
)
from pattern_pivot.remix.types import EditPlan, variant_name
from pattern_pivot.render.captions import read_captions_json
from pattern_pivot.render.stage import VIDEO_ASSET, RenderedVariant, load_plans, rendered_outputs

PUBLISH_ASSET = "publish"
_VERSION = "publish-v1"  # bump when copy or thumbnails change for the same inputs
log = logging.getLogger(__name__)


def ledger_path(catalog_path: Path) -> Path:
    return Path(catalog_path).with_name("published.sqlite")


@dataclass(frozen=True)
class Output:
    """One rendered variant of a request, with its plan and the store it lives in."""

    request_id: str
    rendered: RenderedVariant
    plan: EditPlan
    store: MediaStore

    @property
    def variant(self) -> int:
        return self.rendered.variant

    @property
    def name(self) -> str:
        return variant_name(self.variant)

    @property
    def failed_checks(self) -> list[str]:
        if not self.rendered.checks:
            return ["(no check results: the output was never checked)"]
        return [c.name for c in self.rendered.checks if not c.passed]

    @property
    def duration(self) -> float:
        for check in self.rendered.checks:
            if check.name == "duration_within_target" and check.metadata.get("duration_s"):
                return float(check.metadata["duration_s"])
        return self.plan.duration


def find_outputs(media: MediaStore | Path, request_id: str, variant: int | None = None
                 ) -> list[Output]:
    """The rendered variants of ``request_id`` (only ``variant`` when given)."""
    store = as_store(media)
    rendered = rendered_outputs(store, request_id)
    if not rendered:
        raise PublishError(f"output {request_id!r}", "has no rendered video",
                           f"render it first: pattern-pivot remix ... (or materialise "
                           f"remix_video for partition {request_id})")
    plans = {p.plan.variant: p.plan for p in load_plans(store, request_id)}
    if variant is not None:
        have = ", ".join(str(r.variant) for r in rendered)
        rendered = [r for r in rendered if r.variant == variant]
        if not rendered:
            raise PublishError(f"variant {variant} of {request_id}", "was not rendered",
                               f"pick one of: {have}")
    missing = [r.variant for r in rendered if r.variant not in plans]
    if missing:
        raise PublishError(f"output {request_id!r}", f"has no edit plan for variant "
                           f"{missing[0]}", "re-run the remix")
    return [Output(request_id, r, plans[r.variant], store) for r in rendered]


def catalog_lookup(catalog: Catalog) -> Callable[[str], tuple[str, str]]:
    def lookup(video_id: str) -> tuple[str, str]:
        try:
            entry = catalog.get(video_id)
        except CatalogError:
            return video_id, ""
        return entry.title, entry.source_uri
    return lookup


def _spoken_text(output: Output) -> str:
    name = f"{output.name}.captions.json"
    if name not in output.store.names(VIDEO_ASSET, output.request_id):
        return ""
    captions = output.store.path(VIDEO_ASSET, output.request_id, name)
    return " ".join(w.text for w in read_captions_json(captions))


def _copy_from_json(data: dict) -> PublishCopy:
    from pattern_pivot.publish.copy import Credit

    return PublishCopy(
        titles=tuple(data["titles"]), description=data["description"],
        chapters=tuple(Chapter(**c) for c in data["chapters"]),
        hashtags=tuple(data["hashtags"]), tags=tuple(data["tags"]),
        keyphrases=tuple(data["keyphrases"]),
        credits=tuple(Credit(**c) for c in data["credits"]), writer=data["writer"],
        problems=tuple(data.get("problems", ())))


def _marker(path: Path) -> str:
    marker = path.with_name(path.name + ".inputs")
    return marker.read_text(encoding="utf-8").strip() if marker.is_file() else file_sha256(
        path)


def output_copy(media: MediaStore | Path, output: Output, topic: str, catalog: Catalog,
                encoder: Callable[[], Encoder | None], title_writer=None,
                writer_id: str = "") -> tuple[PublishCopy, bool]:
    """The output's copy, made once per rendered version and writer set-up (``writer_id``
    names the LLM providers behind ``title_writer``); (copy, cached)."""
    store = as_store(media)
    name = f"{output.name}.copy.json"
    fingerprint = inputs_digest(_marker(output.rendered.path), topic, writer_id, _VERSION)
    path = store.path(PUBLISH_ASSET, output.request_id, name)
    if store.is_current(PUBLISH_ASSET, output.request_id, name, fingerprint):
        return _copy_from_json(json.loads(path.read_text(encoding="utf-8"))), True
    copy = build_copy(output.plan, topic=topic, spoken_text=_spoken_text(output),
                      duration=output.duration, lookup=catalog_lookup(catalog),
                      encoder=encoder(), title_writer=title_writer)
    with store.atomic_write(PUBLISH_ASSET, output.request_id, name, fingerprint) as tmp:
        tmp.write_text(json.dumps(copy.to_dict(), indent=1, ensure_ascii=False),
                       encoding="utf-8")
    return copy, False


def output_thumbnails(media: MediaStore | Path, output: Output, copy: PublishCopy,
                      count: int = 3) -> tuple[list[Thumbnail], bool]:
    """At least ``count`` thumbnails of the output, made once per version and titles; each
    JPEG is a stored file with the manifest's fingerprint."""
    store, request = as_store(media), output.request_id
    name = f"{output.name}.thumbnails.json"
    fingerprint = inputs_digest(_marker(output.rendered.path), *copy.titles, str(count), _VERSION)
    if store.is_current(PUBLISH_ASSET, request, name, fingerprint):
        rows = json.loads(store.path(PUBLISH_ASSET, request, name).read_text(encoding="utf-8"))
        images = [Path(r["path"]).name for r in rows]
        if all(store.is_current(PUBLISH_ASSET, request, i, fingerprint) for i in images):
            return [Thumbnail(store.path(PUBLISH_ASSET, request, i), r["time"], r["bytes"],
                              FrameScore(**r["score"])) for i, r in zip(images, rows)], True
    log.info("scoring frames of %s for thumbnails", output.rendered.path)
    thumbs = []
    with tempfile.TemporaryDirectory(prefix="pattern-pivot-thumbs-") as folder:
        for made in make_thumbnails(output.rendered.path, list(copy.titles), Path(folder),
                                    output.name, count):
            with store.atomic_write(PUBLISH_ASSET, request, made.path.name, fingerprint) as tmp:
                shutil.copyfile(made.path, tmp)
            thumbs.append(replace(made, path=store.path(PUBLISH_ASSET, request, made.path.name)))
    with store.atomic_write(PUBLISH_ASSET, request, name, fingerprint) as tmp:
        tmp.write_text(json.dumps([t.to_dict() for t in thumbs], indent=1), encoding="utf-8")
    return thumbs, False


@dataclass
class PublishResult:
    output_id: str
    variant: int
    status: str  # "dry-run" | "uploaded" | "already-published" | "blocked"
    copy: PublishCopy
    thumbnails: list[Thumbnail]
    requests: list[dict]
    requests_path: Path | None
    fingerprint: str
    failed_checks: list[str] = field(default_factory=list)
    youtube_id: str = ""

    def to_dict(self) -> dict:
        return {"output_id": self.output_id, "variant": self.variant, "status": self.status,
                "youtube_id": self.youtube_id,
                "url": f"https://www.youtube.com/watch?v={self.youtube_id}"
                if self.youtube_id else "",
                "fingerprint": self.fingerprint, "failed_checks": self.failed_checks,
                "metadata": self.copy.to_dict(),
                "thumbnails": [t.to_dict() for t in self.thumbnails],
                "requests_path": str(self.requests_path) if self.requests_path else "",
                "requests": self.requests}


def publish(output: Output, copy: PublishCopy, thumbnails: list[Thumbnail],
            ledger: PublishLedger, options: UploadOptions, *, do_upload: bool = False,
            client_factory: Callable[[], object] | None = None,
            sleep: Callable[[float], None] = time.sleep,
            catalog: Catalog | None = None) -> PublishResult:
    """Dry run (the default): write and return the exact requests. With ``do_upload``:
    refuse an output whose blocking checks failed, do nothing when this version is already
    on YouTube, else upload it and record its id (and register it in ``catalog`` as a
    ``yt-`` video, so the daily stats snapshot counts it like any other)."""
    options.check()
    video = output.rendered.path
    fingerprint = file_sha256(video)[:32]
    result = PublishResult(output.request_id, output.variant, "dry-run", copy, thumbnails,
                           [], None, fingerprint, output.failed_checks if not
                           output.rendered.passed else [])
    done = ledger.get(output.request_id, output.variant, fingerprint)
    if done is not None:
        result.status, result.youtube_id = "already-published", done.youtube_id
        return result
    if copy.problems:
        raise PublishError(f"metadata of {output.request_id} variant {output.variant}",
                           "breaks YouTube's limits: " + "; ".join(copy.problems),
                           "re-run publish_copy (its repairs should fix this) and report it")
    body = video_body(copy, output.plan.mode, options)
    result.requests = planned_requests(video, thumbnails[0].path if thumbnails else None,
                                       body, options)
    requests_name = f"{output.name}.publish.json"
    with output.store.atomic_write(VIDEO_ASSET, output.request_id, requests_name,
                                   fingerprint) as tmp:
        tmp.write_text(json.dumps(result.requests, indent=1, ensure_ascii=False),
                       encoding="utf-8")
    result.requests_path = output.store.path(VIDEO_ASSET, output.request_id, requests_name)
    if result.failed_checks:
        result.status = "blocked"
        if do_upload:
            raise PublishError(f"output {output.request_id} variant {output.variant}",
                               "failed blocking checks: " + ", ".join(result.failed_checks),
                               "fix the cause and re-render it; a failed output is never "
                               "uploaded")
        return result
    if not do_upload:
        return result
    if client_factory is None:
        raise PatternPivotError("upload", "has no YouTube client", "configure OAuth")
    client = client_factory()

    def record(resource: dict) -> None:
        ledger.record(Publication(output.request_id, output.variant, fingerprint,
                                  resource["id"], options.privacy, time.time()))
        if catalog is not None:
            catalog.register_youtube(resource["id"],
                                     resource.get("snippet", {}).get("channelId", ""),
                                     copy.title, published_at=time.time(),
                                     duration_s=output.duration)
        if len(thumbnails) > 1:  # the variants take turns from today (abtest)
            from pattern_pivot.publish.abtest import Rotation, RotationStore

            RotationStore(ledger.path).start(Rotation(
                resource["id"], tuple(str(t.path) for t in thumbnails),
                datetime.now(timezone.utc).date()))

    log.info("uploading %s (%d bytes)", video, video.stat().st_size)
    resource = upload(client, video, thumbnails[0].path if thumbnails else None, body,
                      options, on_inserted=record, sleep=sleep,
                      progress=lambda p: log.info("uploaded %.0f%%", p * 100))
    result.status, result.youtube_id = "uploaded", resource["id"]
    return result
