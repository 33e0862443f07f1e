"""`pattern-pivot trailer`: a 15-60 s trailer of one video, or a montage of a channel
(video_trailer or channel_trailer, run here on the persistent instance)."""

from __future__ import annotations

import json
from typing import Optional

import typer

from pattern_pivot.catalog import Catalog, resolve_video_or_file
from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.settings import Settings


@app.command()
def trailer(
    target: Optional[str] = typer.Argument(None, metavar="[VIDEO_ID_OR_FILE]",
                                           help="A registered video id or a video file."),
    channel: Optional[str] = typer.Option(None, "--channel", help="A montage of this "
                                          "channel instead: a YouTube channel id, 'local' for "
                                          "files, 'all' for every ingested video."),
    length: float = typer.Option(30.0, "--length", help="Seconds, 15-60."),
    music: Optional[str] = typer.Option(None, "--music", help="A music file, or a folder of "
                                        "them, ducked under speech; cuts land on its beats."),
    frame: str = typer.Option("16:9", "--format", help="16:9, 1:1 or 9:16."),
    as_json: bool = typer.Option(False, "--json", help="Print the moments, cuts and checks."),
) -> None:
    """A trailer of a video's (or a channel's) strongest moments: whole sentences cut on
    shot changes, title and end cards, optional music on the beat, -14 LUFS, checked."""
    from pattern_pivot.media.open_store import open_media_store
    from pattern_pivot.trailer.music import pick_music
    from pattern_pivot.trailer.stage import (
        CHANNEL_TRAILER,
        NAMES,
        VIDEO_TRAILER,
        TrailerSettings,
    )

    settings = Settings.from_env()
    try:
        if (target is None) == (channel is None):
            raise PatternPivotError("trailer", "needs either a video or --channel",
                                    "give VIDEO_ID, or --channel C (not both)")
        TrailerSettings(length, frame, music or "")  # validates length and format
        if music:
            pick_music(music)
        video_id = resolve_video_or_file(target, Catalog(settings.catalog_path),
                                         "trailer") if target else None
    except PatternPivotError as exc:
        exit_with_error(exc)
    # Dagster and the definitions load only once the request is known to be good.
    from pattern_pivot.cli.runs import execute, ingest_first, instance_for
    from pattern_pivot.definitions import defs

    instance = instance_for(settings)
    config = {"length": length, "format": frame, "music": music or ""}
    if video_id is not None:
        ingest_first(instance, video_id, defs)
        asset, key, job = VIDEO_TRAILER, video_id, "trailer_job"
    else:
        config["channel"] = "" if channel == "all" else channel
        asset, key, job = CHANNEL_TRAILER, channel, "channel_trailer_job"
    store = open_media_store(settings)
    index = store.path(asset, key, NAMES["index"])
    before = index.stat().st_mtime_ns if index.is_file() else None
    outcome = execute(instance, defs.resolve_job_def(job), video_id,
                      run_config={"ops": {asset: {"config": config}}})
    index = store.path(asset, key, NAMES["index"])  # an S3 store fetches the new one
    # A failed run that rendered failed its checks (shown below); one that did not failed
    # before rendering, and an older trailer.json there is another run's.
    rendered = index.is_file() and index.stat().st_mtime_ns != before
    if not (outcome.success and index.is_file()) and not rendered:
        typer.secho(f"error: {outcome.error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2 if "Fix:" in (outcome.error or "") else 1)
    made = json.loads(index.read_text(encoding="utf-8"))
    video = str(store.path(asset, key, NAMES["video"]))
    if as_json:
        typer.echo(json.dumps({"key": key, "run_id": outcome.run_id, "video": video,
                               **{k: made[k] for k in ("duration", "length", "music", "cuts",
                                                       "on_beat", "moments", "passed",
                                                       "checks")}}, indent=1))
    else:
        for n, m in enumerate(made["moments"], start=1):
            typer.echo(f"{n}. {m['video_id']} {m['start']:7.2f}-{m['end']:7.2f}  "
                       f"{m['score']:.2f}  {m['title']}")
        beats = f", {made['on_beat']}/{len(made['cuts'])} cuts on a beat" if made["music"] else ""
        typer.echo(f"{video}  ({made['duration']:.1f} s{beats}, checks "
                   f"{'passed' if made['passed'] else 'FAILED'})")
    if not outcome.success:
        typer.secho(f"error: {outcome.error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)
