"""`pattern-pivot publish`: an output's YouTube copy, thumbnails and upload requests; with
--upload, the upload itself (private unless told otherwise)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.media.open_store import open_media_store
from pattern_pivot.media.store import MediaStore
from pattern_pivot.settings import Settings


def output_titles(remixes, media: MediaStore) -> dict[str, str]:
    """Stored requests and rendered outputs by id, named by the request's topic (or story)
    when it is stored (a plan rendered by hand has only its id)."""
    from pattern_pivot.render.stage import VIDEO_ASSET

    labels = {}
    for request_id in remixes.ids():
        try:
            labels[request_id] = remixes.get(request_id).label
        except (PatternPivotError, ValueError):  # unreadable row: named by its id
            labels[request_id] = request_id
    return labels | {i: labels.get(i, i) for i in media.partitions(VIDEO_ASSET)}


@app.command()
def publish(
    output_id: str = typer.Argument(..., help="The remix request id (remix-...), its topic, "
                                              "or a unique prefix of either."),
    variant: Optional[int] = typer.Option(None, "--variant", help="Only this variant."),
    do_upload: bool = typer.Option(False, "--upload",
                                   help="Really upload (without it: a dry run)."),
    privacy: str = typer.Option("private", "--privacy", help="private, unlisted or public."),
    publish_at: str = typer.Option("", "--publish-at",
                                   help="Schedule (RFC 3339, e.g. 2026-12-24T18:00:00Z); "
                                        "private until then."),
    playlist: str = typer.Option("", "--playlist", help="Add the upload to this playlist id."),
    made_for_kids: bool = typer.Option(False, "--made-for-kids",
                                       help="Declare the video made for kids."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the metadata, thumbnail paths and requests."),
) -> None:
    """Titles, description (credits, chapters), hashtags, tags and three thumbnails for a
    rendered remix, and the exact YouTube requests (written beside the MP4). Uploads only
    with --upload, only outputs whose checks passed, and each version only once."""
    from pattern_pivot.catalog import Catalog, resolve_id
    from pattern_pivot.llm.providers import parse_providers
    from pattern_pivot.publish import stage
    from pattern_pivot.publish.llm_copy import llm_title_writer
    from pattern_pivot.publish.upload import (
        CLIENT_SECRETS_ENV,
        TOKEN_ENV,
        PublishLedger,
        UploadOptions,
        oauth_credentials,
        youtube_client,
    )
    from pattern_pivot.remix.store import RemixStore
    from pattern_pivot.retrieval.embeddings import SentenceEmbedder

    settings = Settings.from_env()
    options = UploadOptions(privacy=privacy, publish_at=publish_at, playlist_id=playlist,
                            made_for_kids=made_for_kids)
    token = Path(os.environ.get(TOKEN_ENV) or settings.data_dir / "youtube-token.json")

    def client():
        secrets = os.environ.get(CLIENT_SECRETS_ENV)
        creds = oauth_credentials(token, Path(secrets) if secrets else None)
        return youtube_client(creds, os.environ.get("PATTERN_PIVOT_YOUTUBE_API_ENDPOINT", ""))

    results = []
    try:
        options.check()
        remixes = RemixStore(settings.remix_store_path)
        media = open_media_store(settings)
        output_id = resolve_id(output_id, output_titles(remixes, media),
                               what="output", fix="give the remix id (remix-...) or its topic")
        outputs = stage.find_outputs(media, output_id, variant)
        try:
            topic = remixes.get(output_id).topic
        except PatternPivotError:
            topic = ""  # rendered from a plan made by hand
        catalog = Catalog(settings.catalog_path)
        ledger = PublishLedger(stage.ledger_path(settings.catalog_path))
        embedder = SentenceEmbedder(settings.embedding_model,
                                    backend=settings.embedding_backend)
        providers = parse_providers(settings.llm_providers)
        writer = llm_title_writer(providers)
        writer_id = ",".join(f"{p.name}:{p.model}" for p in providers)
        for output in outputs:
            copy, _ = stage.output_copy(media, output, topic, catalog,
                                        lambda: embedder.encode, writer, writer_id)
            thumbs, _ = stage.output_thumbnails(media, output, copy)
            results.append(stage.publish(output, copy, thumbs, ledger, options,
                                         do_upload=do_upload, client_factory=client,
                                         catalog=catalog))
    except PatternPivotError as exc:
        exit_with_error(exc)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in results], indent=1, ensure_ascii=False))
        return
    for r in results:
        typer.echo(f"variant {r.variant}: {r.status}"
                   + (f" https://www.youtube.com/watch?v={r.youtube_id}" if r.youtube_id else ""))
        if r.failed_checks:
            typer.echo(f"  blocked by failed checks: {', '.join(r.failed_checks)}")
        typer.echo(f"  title: {r.copy.title}")
        for t in r.thumbnails:
            typer.echo(f"  thumbnail: {t.path}")
        if r.requests_path:
            typer.echo(f"  requests: {r.requests_path}")
            typer.echo(json.dumps(r.requests, indent=1, ensure_ascii=False))
