"""`pattern-pivot remix`, `say` and `render`: new content from the catalog, from the command
line."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import List, Optional

import typer

from pattern_pivot.catalog import Catalog
from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.settings import Settings


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
    framing: str = typer.Option("auto", "--framing", help="auto (follow faces, fit screens "
                                "and slides), center or fit."),
    allow_shorter: bool = typer.Option(
        False, "--allow-shorter",
        help="Render what the catalog has when it holds less than --length on the topic."),
    as_json: bool = typer.Option(False, "--json", help="Print the request, plans and files."),
) -> None:
    """Remix the catalog: store the request (a `remixes` partition) and run it now: plan,
    narration, rendered MP4 per variant and its quality checks."""
    from pattern_pivot.filenames import printable
    from pattern_pivot.remix.request import parse_request, read_text_file

    settings = Settings.from_env()
    try:
        story = ""
        if story_file is not None:
            if not story_file.is_file():
                raise PatternPivotError(printable(story_file), "does not exist",
                                        "give the path of a UTF-8 text file")
            # Bounded and strictly UTF-8: a binary or huge file is a clear error, not a
            # traceback (or minutes of reading).
            story = read_text_file(story_file, "story file")
        request = parse_request({"topic": topic, "mode": mode, "aspect": frame,
                                 "length_seconds": length, "variants": variants,
                                 "story": story, "allow_shorter": allow_shorter,
                                 "framing": framing})
    except PatternPivotError as exc:
        exit_with_error(exc)
    run_remix_request(request, settings, as_json)


def run_remix_request(request, settings: Settings, as_json: bool = False) -> None:
    """Store a validated request, run remix_job for it here (a bar of each encode, a line
    per rendered output) and print what it made."""
    from pattern_pivot.cli.progress_bar import progress_events_bar
    from pattern_pivot.cli.runs import instance_for, run_remix
    from pattern_pivot.media.open_store import open_media_store
    from pattern_pivot.remix.store import RemixStore
    from pattern_pivot.remix.summary import summary

    store = RemixStore(settings.remix_store_path)
    store.save(request, source="cli")
    store.mark_requested([request.request_id])  # this command runs it; the sensor must not
    def rendered(event, seconds: float) -> None:  # stdout stays the JSON with --json
        typer.echo(f"{event.what} ({event.detail}) in {seconds:.0f} s", err=as_json)

    with progress_events_bar("render (seconds)", rendered):
        outcome = run_remix(instance_for(settings), request.request_id)
    if not outcome.success:
        typer.secho(f"error: {outcome.error}", fg=typer.colors.RED, err=True)
        if as_json:  # what was made (a rejected video, its checks' measurements) still shows
            _print_partial_summary(request, settings, outcome)
        raise typer.Exit(code=1)
    result = summary(request, open_media_store(settings))
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
        exit_with_error(exc)
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
    from pattern_pivot.cli.progress_bar import progress_bar
    from pattern_pivot.media.open_store import open_media_store
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
            sources = StoreSources(Catalog(settings.catalog_path), open_media_store(settings))
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
            with progress_bar(f"render {out.name} (seconds)", None) as bar:
                def encoded(done: float, total: float, shots: int, count: int) -> None:
                    bar.set(round(done, 1), round(total, 1), f"{shots} of {count} shots")

                result = render_plan(plan, out, sources, narration, options, encoded)
        write_captions_json(list(result.words), out.with_name(out.stem + ".captions.json"))
        outcomes = run_checks(out, expectations(plan, options, result.words,
                                                    result.shot_seconds)) if check else []
    except PatternPivotError as exc:
        exit_with_error(exc)
    typer.echo(f"{out}  ({result.duration:.1f} s, {result.width}x{result.height}, "
               f"rendered in {result.seconds:.1f} s)")
    for outcome in outcomes:
        mark = "ok    " if outcome.passed else "FAILED"
        typer.echo(f"  {mark} {outcome.name}: {outcome.description}")
    if any(not o.passed for o in outcomes):
        raise typer.Exit(code=1)


def _print_partial_summary(request, settings: Settings, outcome) -> None:
    """--json after a failed run: the plans, the rendered (rejected) videos and each check's
    measured value, as far as the run got; just the error when it made no plan."""
    from pattern_pivot.media.open_store import open_media_store
    from pattern_pivot.remix.summary import summary

    try:
        result = summary(request, open_media_store(settings))
    except (OSError, ValueError):  # no plan was written: the error says why
        result = {"request_id": request.request_id, "request": request.model_dump(),
                  "variants": []}
    result.update(run_id=outcome.run_id, error=outcome.error, passed=False)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
