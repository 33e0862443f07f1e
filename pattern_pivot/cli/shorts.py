"""`pattern-pivot shorts`: cut the best moments of one long video into framed, captioned,
checked shorts (video_highlights then video_shorts, run here on the persistent instance)."""

from __future__ import annotations

import json

import typer

from pattern_pivot.catalog import Catalog, resolve_video_or_file
from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.remix.types import FRAME_SIZES
from pattern_pivot.settings import Settings

NEEDS_SPEECH = "shorts needs speech"


@app.command()
def shorts(
    target: str = typer.Argument(..., metavar="VIDEO_ID_OR_FILE",
                                 help="A registered video id or a video file (registered "
                                      "and ingested first)."),
    count: int = typer.Option(3, "--count", help="How many shorts (1-20)."),
    min_length: float = typer.Option(15.0, "--min-length", help="Shortest short, seconds."),
    max_length: float = typer.Option(60.0, "--max-length", help="Longest short, seconds."),
    frame: str = typer.Option("9:16", "--format", help="9:16, 1:1 or 16:9."),
    as_json: bool = typer.Option(False, "--json", help="Print each short's start, end, "
                                 "score, title, reasons, video path and checks."),
) -> None:
    """Find the best moments of a long video and render each as a short: whole sentences,
    a hook up front, the speaker kept in frame, word captions, -14 LUFS, quality-checked."""
    from pattern_pivot.cli.runs import execute, ingest_first, instance_for
    from pattern_pivot.definitions import defs
    from pattern_pivot.highlights.stage import SHORTS_ASSET, SHORTS_INDEX, ShortsSettings
    from pattern_pivot.media.open_store import open_media_store

    settings = Settings.from_env()
    try:
        if frame not in FRAME_SIZES:
            raise PatternPivotError(f"--format {frame}", "is not a supported frame format",
                                    f"use one of {', '.join(FRAME_SIZES)}")
        if not 0 < min_length <= max_length:
            raise PatternPivotError(f"--min-length {min_length:g} --max-length {max_length:g}",
                                    "is not a valid range", "give 0 < min length <= max length")
        ShortsSettings(count, min_length, max_length, frame)  # validates count
        video_id = resolve_video_or_file(target, Catalog(settings.catalog_path), "shorts")
    except PatternPivotError as exc:
        exit_with_error(exc)
    instance = instance_for(settings)
    ingest_first(instance, video_id, defs)
    config = {"config": {"count": count, "min_length": min_length, "max_length": max_length,
                         "format": frame}}
    store = open_media_store(settings)
    index = store.path(SHORTS_ASSET, video_id, SHORTS_INDEX)
    before = index.stat().st_mtime_ns if index.is_file() else None
    outcome = execute(instance, defs.resolve_job_def("shorts_job"), video_id,
                      run_config={"ops": {"video_highlights": config,
                                          "video_shorts": config}})
    index = store.path(SHORTS_ASSET, video_id, SHORTS_INDEX)  # an S3 store fetches the new one
    # shorts.json is rewritten by every run that renders; an older one is another run's.
    rendered = index.is_file() and index.stat().st_mtime_ns != before
    if not outcome.success and not rendered:
        typer.secho(f"error: {outcome.error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2 if NEEDS_SPEECH in (outcome.error or "") else 1)
    made = json.loads(index.read_text(encoding="utf-8"))
    if as_json:
        typer.echo(json.dumps({"video_id": video_id, "run_id": outcome.run_id,
                               "shorts": made["shorts"]}, indent=1))
    else:
        for n, s in enumerate(made["shorts"], start=1):
            status = "ok" if s["passed"] else "FAILED"
            typer.echo(f"{n}. {s['start']:7.2f}-{s['end']:7.2f}  {s['score']:.2f}  {status:6} "
                       f"{s['title']}\n   {s['reason']}\n   {s['video']}")
    if not outcome.success:
        typer.secho(f"error: {outcome.error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)
