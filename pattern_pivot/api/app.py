"""The FastAPI application: endpoints a creator's app or script calls, and the creator page.

A thin layer over the Dagster instance: requests become catalog entries, remix requests and
partitions, and worker processes run Dagster's jobs for them (``launcher``); status is read
from the runs' step events (``progress``); files are served from what the stages wrote
(``outputs``). Nothing here renders, transcribes or plans.
"""

from __future__ import annotations

import logging
import re
import shutil
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from pattern_pivot.api import health
from pattern_pivot.api.guard import Guard
from pattern_pivot.api.jobs import JOB_ID, Job, JobStore, new_job_id
from pattern_pivot.api.launcher import Launcher
from pattern_pivot.api.outputs import MEDIA_TYPES, job_files, outputs_version
from pattern_pivot.api.paths import UPLOADS_ASSET, job_store_path, upload_dir
from pattern_pivot.api.security import COOKIE, Keys, RateLimiter, is_loopback
from pattern_pivot.api.uploads import UploadError, receive_upload
from pattern_pivot.catalog import YOUTUBE_ID_PREFIX, Catalog
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.settings import Settings

log = logging.getLogger("pattern_pivot.api")
STATIC = Path(__file__).with_name("static")
SHORTS_DEFAULTS = {"num_clips": 3, "aspect_ratio": "9:16", "min_length": 15.0,
                   "max_length": 60.0}


@dataclass(frozen=True)
class ApiConfig:
    host: str = "127.0.0.1"
    key_hashes: tuple[str, ...] = ()
    max_upload_bytes: int = 4 * 1024**3
    rate_per_minute: int = 600
    workers: int = 1  # 0: accept and queue jobs, run none (another server runs them)


class RemixBody(BaseModel):
    topic: str = Field("", max_length=300, description="What the remix is about.")
    mode: str = Field("narrated", description="supercut, narrated or faceless.")
    aspect_ratio: str = Field("9:16", description="9:16, 1:1 or 16:9.")
    length: float = Field(45.0, description="Target length in seconds (5-600).")
    variants: int = Field(1, description="Different takes to render (1-5).")
    story: str = Field("", description="Faceless: your own text, narrated scene by scene.")
    allow_shorter: bool = Field(False, description="Render what the catalog has when it "
                                                   "holds less than `length` on the topic.")
    framing: str = Field("auto", description="auto, center or fit.")


class FacelessBody(BaseModel):
    topic: str = Field("", max_length=300, description="What the video is about.")
    story: str = Field("", description="Your own text (else a script is written).")
    aspect_ratio: str = Field("9:16", description="9:16, 1:1 or 16:9.")
    length: float = Field(45.0, description="Target length in seconds (5-600).")
    variants: int = Field(1, description="Different takes to render (1-5).")
    allow_shorter: bool = False


class YouTubeBody(BaseModel):
    url: str = Field(..., max_length=500, description="A YouTube video URL (watch, youtu.be "
                                                      "or shorts link).")
    num_clips: int = 3
    aspect_ratio: str = "9:16"
    min_length: float = 15.0
    max_length: float = 60.0


class ChannelBody(BaseModel):
    channel: str = Field(..., max_length=300, description="A channel id (UC...), @handle or "
                                                          "channel link.")
    limit: int = Field(50, description="At most this many new videos (1-500), newest first; "
                                       "a later call registers the next batch.")


class KeyBody(BaseModel):
    key: str = Field(..., max_length=512)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def create_app(settings: Settings, config: ApiConfig) -> FastAPI:
    from pattern_pivot.cli.runs import instance_for

    instance = instance_for(settings)  # sets DAGSTER_HOME for the workers too
    jobs = JobStore(job_store_path(settings))
    launcher = Launcher(settings, jobs, config.workers)
    keys = Keys(config.key_hashes)
    limiter = RateLimiter(config.rate_per_minute)
    media = LocalMediaStore(settings.media_root)
    catalog = Catalog(settings.catalog_path)
    from pattern_pivot.api.progress import ProgressReader

    progress = ProgressReader(instance)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        launcher.start()
        yield
        await run_in_threadpool(launcher.shutdown)

    app = FastAPI(title="PatternPivot API", version="1",
                  description="Upload videos, get checked shorts, remixes and faceless "
                              "videos; every job is a Dagster run on the platform's instance.",
                  lifespan=lifespan)

    app.add_middleware(Guard, keys=keys, limiter=limiter)

    # -- helpers -------------------------------------------------------------------------
    def job_or_404(processing_id: str, kinds: tuple[str, ...] | None = None) -> Job:
        job = jobs.get(processing_id) if JOB_ID.match(processing_id) else None
        if job is None or (kinds and job.kind not in kinds):
            raise HTTPException(404, f"processing id {processing_id[:40]!r} is not a job here. "
                                "Fix: use an id from POST /api/upload-video or GET /api/jobs")
        return job

    ended: dict[str, tuple[tuple, dict]] = {}  # job id -> (what it was built from, body)

    def status_of(job: Job) -> dict:
        """A finished job's status is built once and kept while neither the job nor its
        outputs change (a status poll then costs one row read and one stat)."""
        if job.state in ("completed", "failed", "canceled"):
            version = (job.updated_at, outputs_version(settings.media_root, job.kind,
                                                       job.partition))
            cached = ended.get(job.job_id)
            if cached and cached[0] == version:
                return cached[1]
            body = build_status(job)
            if len(ended) > 10_000:
                ended.clear()
            ended[job.job_id] = (version, body)
            return body
        return build_status(job)

    def build_status(job: Job) -> dict:
        from pattern_pivot.api.progress import percentage

        runs = progress.runs(job.job_id)
        current = next((r.current_step for r in reversed(runs) if r.current_step), None)
        body = {**job.public(), "status": job.state,
                "progress_percentage": percentage(job.kind, job.state, runs),
                "current_step": current if job.state == "running" else None,
                "runs": [{"run_id": r.run_id, "job": r.job_name, "status": r.status,
                          "steps_done": r.steps_done, "steps_total": r.steps_total}
                         for r in runs],
                "error": job.error}
        if job.state in ("completed", "failed"):
            # A failed job may still have made clips (a blocking check failed): shown with
            # their checks, so the creator sees why.
            body["outputs"] = job_files(settings.media_root, job.kind, job.partition,
                                        job.job_id).summary
        return body

    def queue_remix(fields: dict, kind: str) -> dict:
        from pattern_pivot.remix.request import parse_request
        from pattern_pivot.remix.store import RemixStore

        try:
            request = parse_request(fields)
        except PatternPivotError as exc:
            raise HTTPException(422, str(exc)) from exc
        store = RemixStore(settings.remix_store_path)
        store.save(request, source="api")
        store.mark_requested([request.request_id])  # this API runs it; the sensor must not
        job_id = new_job_id()
        job = jobs.add(job_id, kind, request.request_id, request.model_dump())
        launcher.submit(job_id)
        return {"processing_id": job_id, "status": job.state, "request_id": request.request_id,
                "status_url": f"/api/{'faceless-video' if kind == 'faceless' else 'remix'}"
                              f"/status/{job_id}"}

    # -- endpoints -----------------------------------------------------------------------
    @app.post("/api/upload-video", status_code=202, openapi_extra={"requestBody": {
        "required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"},
                "num_clips": {"type": "integer", "minimum": 1, "maximum": 20, "default": 3},
                "aspect_ratio": {"type": "string", "enum": ["9:16", "1:1", "16:9"]},
                "min_length": {"type": "number", "default": 15},
                "max_length": {"type": "number", "default": 60}}}}}}})
    async def upload_video(request: Request):
        """Upload a video (multipart field ``file``, streamed to the media store) and ask for
        its best moments as checked shorts. Returns the processing id to poll."""
        job_id = new_job_id()
        folder = upload_dir(settings, job_id)
        try:
            received = await receive_upload(request.headers.get("content-type", ""),
                                            request.headers.get("content-length"),
                                            request.stream(), folder, config.max_upload_bytes)
            params = _shorts_params(received.fields)
            await run_in_threadpool(_check_media, received.path)
            entry = await run_in_threadpool(catalog.register_file, received.path)
        except UploadError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return _error(exc.status, str(exc))
        except PatternPivotError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return _error(422, str(exc))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        params |= {"file_name": received.name, "size_bytes": received.size}
        jobs.add(job_id, "shorts", entry.video_id, params, upload=received.path)
        launcher.submit(job_id)
        return {"processing_id": job_id, "status": "queued", "video_id": entry.video_id,
                "file_name": received.name, "size_bytes": received.size,
                "status_url": f"/api/status/{job_id}"}

    @app.post("/api/youtube-video", status_code=202)
    async def youtube_video(body: YouTubeBody):
        """Add a YouTube video by URL (downloaded by the ingest run, with yt-dlp) and ask for
        its best moments as shorts, like an upload."""
        try:
            youtube_id = youtube_id_from_url(body.url)
            params = _shorts_params({k: str(v) for k, v in body.model_dump().items()
                                     if k != "url"})
        except UploadError as exc:
            return _error(exc.status, str(exc))
        entry = await run_in_threadpool(_add_youtube, catalog, youtube_id)
        job_id = new_job_id()
        jobs.add(job_id, "shorts", entry.video_id, params | {"url": entry.source_uri,
                                                             "file_name": youtube_id})
        launcher.submit(job_id)
        return {"processing_id": job_id, "status": "queued", "video_id": entry.video_id,
                "status_url": f"/api/status/{job_id}"}

    @app.post("/api/youtube-channel")
    async def youtube_channel(body: ChannelBody):
        """Register a channel's uploads not yet in the catalog as ``yt-<id>`` videos and
        partitions (the code path of ``pattern-pivot youtube sync``, with the server's
        PATTERN_PIVOT_YOUTUBE_API_KEY). Nothing is downloaded yet: POST /api/youtube-video
        with one of them ingests it and makes shorts; ``pattern-pivot youtube sync --run``
        ingests them all."""
        from pattern_pivot.api.channels import sync_channel
        from pattern_pivot.cli.runs import add_partitions

        try:
            synced = await run_in_threadpool(sync_channel, settings, catalog, body.channel,
                                             body.limit)
        except UploadError as exc:
            return _error(exc.status, str(exc))
        await run_in_threadpool(add_partitions, instance, synced.keys)
        return synced.body

    @app.get("/api/status/{processing_id}")
    async def status(processing_id: str):
        """Status, ``progress_percentage`` (from the runs' step events) and, when done, the
        outputs with their quality checks and download URLs."""
        return JSONResponse(await run_in_threadpool(
            lambda: status_of(job_or_404(processing_id))))

    def download(group: str, processing_id: str, filename: str):
        job = job_or_404(processing_id)
        files = job_files(settings.media_root, job.kind, job.partition, job.job_id)
        path = getattr(files, group).get(filename)  # a lookup: the name never becomes a path
        if path is None:
            raise HTTPException(404, f"{filename[:80]!r} is not one of this job's {group}. "
                                f"Fix: use a URL from GET /api/status/{job.job_id}")
        suffix = ".json" if filename.endswith(".json") else path.suffix
        return FileResponse(path, media_type=MEDIA_TYPES.get(suffix, "application/octet-stream"),
                            filename=filename)

    @app.get("/api/download/clips/{processing_id}/{filename}")
    async def download_clip(processing_id: str, filename: str):
        """A clip (MP4), its poster (JPEG) or preview (WebP); HTTP Range supported."""
        return await run_in_threadpool(download, "clips", processing_id, filename)

    @app.get("/api/download/captions/{processing_id}/{filename}")
    async def download_captions(processing_id: str, filename: str):
        """Captions: SRT, WebVTT, ASS, or the word-level JSON of a remix."""
        return await run_in_threadpool(download, "captions", processing_id, filename)

    @app.post("/api/remix", status_code=202)
    async def remix(body: RemixBody):
        """Request a remix of the catalog (supercut, narrated or faceless)."""
        fields = {"topic": body.topic, "mode": body.mode, "aspect": body.aspect_ratio,
                  "length_seconds": body.length, "variants": body.variants,
                  "story": body.story, "allow_shorter": body.allow_shorter,
                  "framing": body.framing}
        return await run_in_threadpool(queue_remix, fields,
                                       "faceless" if body.mode == "faceless" else "remix")

    @app.get("/api/remix/status/{processing_id}")
    async def remix_status(processing_id: str):
        return JSONResponse(await run_in_threadpool(
            lambda: status_of(job_or_404(processing_id, ("remix", "faceless")))))

    @app.post("/api/faceless-video/generate", status_code=202)
    async def faceless_generate(body: FacelessBody):
        """A faceless video: a script (or your story) narrated over stills, no faces."""
        fields = {"topic": body.topic, "mode": "faceless", "aspect": body.aspect_ratio,
                  "length_seconds": body.length, "variants": body.variants,
                  "story": body.story, "allow_shorter": body.allow_shorter}
        return await run_in_threadpool(queue_remix, fields, "faceless")

    @app.get("/api/faceless-video/status/{processing_id}")
    async def faceless_status(processing_id: str):
        return JSONResponse(await run_in_threadpool(
            lambda: status_of(job_or_404(processing_id, ("faceless",)))))

    @app.get("/api/faceless-video/options")
    async def faceless_options():
        """Modes, formats, framings, lengths, voices and the subtitle languages available
        offline here."""
        return await run_in_threadpool(_options, settings)

    @app.get("/api/health")
    async def get_health():
        """The Dagster instance, Milvus, the stats store and the media store."""
        def check() -> dict:
            parts = {"dagster": health.dagster_health(instance),
                     "milvus": health.milvus_health(settings.vector_uri),
                     "stats_store": health.stats_health(settings),
                     "media_store": health.media_health(settings.media_root)}
            return {"ok": all(p["ok"] for p in parts.values()), **parts,
                    "queued_jobs": launcher.queued(), "auth": "key" if keys.required
                    else "none (loopback only)"}
        body = await run_in_threadpool(check)
        return JSONResponse(body, status_code=200 if body["ok"] else 503)

    @app.get("/api/jobs")
    async def list_jobs():
        """Every job, newest first."""
        return {"jobs": [j.public() | {"status": j.state, "error": j.error}
                         for j in await run_in_threadpool(jobs.all)]}

    @app.delete("/api/jobs/{processing_id}")
    async def delete_job(processing_id: str):
        """Stop the job if it runs, delete its upload and the outputs no other job shares.
        The video stays in the catalog (and its transcript in the search index)."""
        job = job_or_404(processing_id)
        removed = await run_in_threadpool(_delete_job, job, jobs, launcher, media, catalog)
        return {"processing_id": job.job_id, "deleted": True, "removed": removed}

    @app.post("/api/session")
    async def open_session(body: KeyBody):
        """The creator page trades a key for an HttpOnly cookie (a <video> element cannot
        send headers)."""
        if keys.required and keys.match(body.key) is None:
            return _error(401, "wrong API key")
        response = JSONResponse({"ok": True})
        response.set_cookie(COOKIE, body.key, httponly=True, samesite="strict",
                            secure=not is_loopback(config.host), path="/api/")
        return response

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.launcher, app.state.jobs = launcher, jobs
    return app


def _shorts_params(fields: dict[str, str]) -> dict:
    from pattern_pivot.remix.types import FRAME_SIZES

    params = dict(SHORTS_DEFAULTS)
    try:
        if fields.get("num_clips", "").strip():
            params["num_clips"] = int(fields["num_clips"])
        for name in ("min_length", "max_length"):
            if fields.get(name, "").strip():
                params[name] = float(fields[name])
    except ValueError as exc:
        raise UploadError(422, "form field", f"is not a number ({exc})",
                          "send num_clips as a whole number, lengths in seconds") from exc
    if fields.get("aspect_ratio", "").strip():
        params["aspect_ratio"] = fields["aspect_ratio"].strip()
    if not 1 <= params["num_clips"] <= 20:
        raise UploadError(422, f"num_clips {params['num_clips']}", "is out of range",
                          "ask for 1-20 clips")
    if params["aspect_ratio"] not in FRAME_SIZES:
        raise UploadError(422, f"aspect_ratio {params['aspect_ratio'][:20]!r}",
                          "is not a supported format", f"use one of {', '.join(FRAME_SIZES)}")
    if not 1 <= params["min_length"] <= params["max_length"] <= 600:
        raise UploadError(422, f"min_length {params['min_length']:g} max_length "
                          f"{params['max_length']:g}", "is not a valid range",
                          "give 1 <= min_length <= max_length <= 600 seconds")
    return params


_YOUTUBE_URL = re.compile(r"^https?://(?:www\.|m\.)?(?:youtube\.com/(?:watch\?(?:.*&)?v=|shorts/"
                          r"|live/)|youtu\.be/)([A-Za-z0-9_-]{11})(?:[?&#/].*)?$")


def youtube_id_from_url(url: str) -> str:
    match = _YOUTUBE_URL.match(url.strip())
    if not match:
        raise UploadError(422, f"url {url[:100]!r}", "is not a YouTube video link",
                          "give a link such as https://www.youtube.com/watch?v=VIDEO_ID or "
                          "https://youtu.be/VIDEO_ID")
    return match.group(1)


def _add_youtube(catalog: Catalog, youtube_id: str):
    """A video the catalog already knows (a synced channel's, with its title and channel)
    is kept as it is; a new one is added under its id until its download names it."""
    try:
        return catalog.get(YOUTUBE_ID_PREFIX + youtube_id)
    except PatternPivotError:
        return catalog.register_youtube(youtube_id, "", youtube_id)


def _check_media(path: Path) -> None:
    """The file must be media ffprobe reads, with a sound track (shorts cut on speech)."""
    from pattern_pivot.errors import MediaError
    from pattern_pivot.media.probe import probe

    info = probe(path)
    if info.audio is None:
        raise MediaError(f"upload {path.name!r}", "has no audio track, so there is no speech "
                         "to cut shorts on", "upload a video where someone speaks")


def _delete_job(job: Job, jobs: JobStore, launcher: Launcher, media: LocalMediaStore,
                catalog: Catalog) -> list[str]:
    jobs.set_state(job.job_id, "canceled", "deleted", only_from=("queued", "running"))
    launcher.stop_job(job.job_id)
    removed = []
    folders = [media.path(UPLOADS_ASSET, job.job_id, "x").parent]
    others = jobs.sharing(job.partition, job.job_id)
    if not others:  # outputs are per partition: kept while another job shows them
        assets = (("video_highlights", "video_shorts") if job.kind == "shorts" else
                  ("remix_plan", "remix_narration", "remix_video"))
        folders += [media.path(asset, job.partition, "x").parent for asset in assets]
    for folder in folders:
        if folder.is_dir():
            shutil.rmtree(folder)
            removed.append(f"{folder.parent.name}/{folder.name}")
    if job.kind == "shorts" and job.upload:
        _follow_other_upload(job, others, catalog)
    jobs.delete(job.job_id)
    return removed


def _follow_other_upload(job: Job, others: list[Job], catalog: Catalog) -> None:
    """The catalog entry pointed at the deleted upload: point it at another job's copy of
    the same video, if one is left."""
    try:
        entry = catalog.get(job.partition)
    except PatternPivotError:
        return
    if entry.source_uri != job.upload:
        return
    for other in others:
        if other.upload and Path(other.upload).is_file():
            catalog.register_file(Path(other.upload))
            return


_OPTIONS_CACHE: dict[str, dict] = {}


def _options(settings: Settings) -> dict:
    if "options" in _OPTIONS_CACHE:
        return _OPTIONS_CACHE["options"]
    from pattern_pivot.remix.request import (
        FRAMINGS,
        MAX_SECONDS,
        MAX_STORY_CHARS,
        MAX_VARIANTS,
        MIN_SECONDS,
        MODES,
    )
    from pattern_pivot.remix.types import FRAME_SIZES
    from pattern_pivot.subtitles.translate import offline_routes

    voices = {"piper": ["en_US-joe-medium (bundled)"] if not settings.tts_model
              else [settings.tts_model]}
    if shutil.which("espeak-ng"):
        voices["espeak"] = ["en-us", "pt-br", "es", "... (espeak-ng --voices)"]
    options = {
        "modes": list(MODES), "formats": list(FRAME_SIZES), "framings": list(FRAMINGS),
        "length_seconds": {"min": MIN_SECONDS, "max": MAX_SECONDS},
        "max_variants": MAX_VARIANTS, "max_story_chars": MAX_STORY_CHARS,
        "tts_backend": settings.tts_backend, "voices": voices,
        "subtitle_translations_offline": sorted(f"{a}->{b}" for a, b in offline_routes()),
        "shorts": {"num_clips": {"min": 1, "max": 20, "default": 3},
                   "length_seconds": {"min_default": 15, "max_default": 60}},
    }
    _OPTIONS_CACHE["options"] = options
    return options
