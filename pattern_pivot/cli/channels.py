"""`pattern-pivot stats ...` and `pattern-pivot youtube ...`: the stats store and YouTube
channels as a video source."""

from __future__ import annotations

import json
import os
from typing import List

import typer

from pattern_pivot.catalog import Catalog
from pattern_pivot.cli.main import app, exit_with_error, report_runs
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.settings import Settings

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
        exit_with_error(exc)
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
        exit_with_error(exc)
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
    from pattern_pivot.cli.runs import add_partitions, instance_for, run_ingest
    from pattern_pivot.youtube.api import QuotaMeter, YouTubeClient
    from pattern_pivot.youtube.config import API_KEY_ENV, YouTubeConfig
    from pattern_pivot.youtube.sync import STATE_NAME, sync_uploads

    settings = Settings.from_env()
    config = YouTubeConfig.from_env()
    refs = list(channel) or list(config.channels)
    if not refs:
        typer.secho("error: no channel: pass --channel or set PATTERN_PIVOT_YOUTUBE_CHANNELS",
                    err=True)
        raise typer.Exit(code=2)
    meter = QuotaMeter()
    try:
        client = YouTubeClient(os.environ.get(API_KEY_ENV, ""), config.api_endpoint,
                               meter=meter)
        scan, keys = sync_uploads(client, Catalog(settings.catalog_path), refs, limit,
                                  settings.catalog_path.with_name(STATE_NAME))
    except PatternPivotError as exc:
        exit_with_error(exc)
    for ref, problem in scan.problems.items():
        typer.secho(f"skipped {ref}: {problem}", fg=typer.colors.YELLOW, err=True)
    instance = instance_for(settings)
    add_partitions(instance, keys)
    for video, key in zip(scan.new, keys):
        typer.echo(f"{key}  {video.title}")
    typer.echo(f"{len(keys)} new videos; {meter.total} quota units", err=True)
    if run and keys and report_runs(run_ingest(instance, keys)):
        raise typer.Exit(code=1)
    if scan.problems and not keys:
        raise typer.Exit(code=2)
