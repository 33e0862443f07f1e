"""Publish: each rendered remix gets its copy (titles, description with credits and
chapters, hashtags, tags) and thumbnails, shown in the UI; ``publish_job`` uploads.

Nothing here runs on its own: no automation condition, no sensor. ``publish_job`` is a dry
run (the exact requests written beside the MP4) unless its run config says
``upload: true``, and an output whose blocking checks failed is never uploaded.
"""

import base64
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from assets.compose import remix_video
from assets.failures import user_errors
from assets.partitions import remixes_partitions
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.llm.providers import parse_providers
from pattern_pivot.publish import abtest, feedback, stage
from pattern_pivot.publish.copy import markdown
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
from resources import (
    CatalogResource,
    EmbedderResource,
    LLMResource,
    MediaStoreResource,
    RemixStoreResource,
    StatsStoreResource,
)


def _topic(remix_store: RemixStoreResource, request_id: str) -> str:
    try:
        return RemixStore(Path(remix_store.path)).get(request_id).topic
    except PatternPivotError:  # a plan made by hand has no stored request
        return ""


def _copies(context, catalog, media_store, embedder, remix_store, llm):
    media = media_store.store()
    topic = _topic(remix_store, context.partition_key)
    providers = parse_providers(llm.providers_json, "llm resource providers_json")
    writer = llm_title_writer(providers)
    writer_id = ",".join(f"{p.name}:{p.model}" for p in providers)
    out = []
    for output in stage.find_outputs(media, context.partition_key):
        copy, cached = stage.output_copy(media, output, topic, catalog.catalog(),
                                         lambda: embedder.embedder().encode, writer, writer_id)
        out.append((output, copy, cached))
    return out


@dg.asset(partitions_def=remixes_partitions, group_name="publish", kinds={"youtube"},
          deps=[remix_video], code_version="1")
def publish_copy(context: dg.AssetExecutionContext, catalog: CatalogResource,
                 media_store: MediaStoreResource, embedder: EmbedderResource,
                 remix_store: RemixStoreResource, llm: LLMResource) -> dg.MaterializeResult:
    """Per variant: title options, a description crediting the source videos (timestamped
    watch links), chapters when long enough, hashtags and tags, all inside YouTube's
    limits; key phrases ranked with the bundled embeddings when no LLM wrote the script."""
    with user_errors():
        copies = _copies(context, catalog, media_store, embedder, remix_store, llm)
    return dg.MaterializeResult(metadata={
        "status": "cached" if all(c for _, _, c in copies) else "materialized",
        "variants": len(copies),
        "title": copies[0][1].title,
        "copy": dg.MetadataValue.md("\n\n---\n\n".join(
            f"### variant {o.variant}\n\n{markdown(c)}" for o, c, _ in copies)),
    })


def _image_md(path: Path) -> str:
    return f"![thumbnail](data:image/jpeg;base64,{base64.b64encode(path.read_bytes()).decode()})"


@dg.asset(partitions_def=remixes_partitions, group_name="publish", kinds={"jpeg"},
          deps=[publish_copy], code_version="1")
def publish_thumbnails(context: dg.AssetExecutionContext, catalog: CatalogResource,
                       media_store: MediaStoreResource, embedder: EmbedderResource,
                       remix_store: RemixStoreResource, llm: LLMResource) -> dg.MaterializeResult:
    """Per variant: three 1280x720 JPEG thumbnails (under 2 MB) from the sharpest,
    highest-contrast frames, faces preferred and shot transitions avoided, with the title."""
    media = media_store.store()
    rows, cached = [], True
    with user_errors():
        for output, copy, _ in _copies(context, catalog, media_store, embedder, remix_store, llm):
            thumbs, was_cached = stage.output_thumbnails(media, output, copy)
            cached &= was_cached
            rows.append(f"### variant {output.variant}\n\n" + "\n\n".join(
                f"{_image_md(t.path)}\n\n{t.time:.2f} s, score {t.score.score}, "
                f"{t.bytes // 1024} KiB" for t in thumbs))
    return dg.MaterializeResult(metadata={
        "status": "cached" if cached else "materialized",
        "thumbnails": dg.MetadataValue.md("\n\n".join(rows))})


class UploadConfig(dg.Config):
    """``upload: false`` (the default) writes and shows the requests without sending them."""

    upload: bool = False
    privacy: str = "private"
    publish_at: str = ""
    made_for_kids: bool = False
    playlist_id: str = ""
    variant: int = 0  # 0: every variant


@dg.asset(partitions_def=remixes_partitions, group_name="publish", kinds={"youtube"},
          deps=[publish_thumbnails], code_version="1")
def youtube_upload(context: dg.AssetExecutionContext, config: UploadConfig,
                   catalog: CatalogResource, media_store: MediaStoreResource,
                   embedder: EmbedderResource,
                   remix_store: RemixStoreResource, llm: LLMResource) -> dg.MaterializeResult:
    """Each variant uploaded privately (dry run unless configured), at most once per
    rendered version; the YouTube id is recorded next to the catalog."""
    media = media_store.store()
    options = UploadOptions(privacy=config.privacy, publish_at=config.publish_at,
                            made_for_kids=config.made_for_kids, playlist_id=config.playlist_id)
    ledger = PublishLedger(stage.ledger_path(Path(catalog.path)))
    token = _token_path(catalog)

    def client():
        # A run has nobody to click "Allow": consent once with `pattern-pivot publish --upload`.
        secrets = os.environ.get(CLIENT_SECRETS_ENV)
        creds = oauth_credentials(token, Path(secrets) if secrets else None, interactive=False)
        return youtube_client(creds, os.environ.get("PATTERN_PIVOT_YOUTUBE_API_ENDPOINT", ""))

    results = []
    with user_errors():
        for output, copy, _ in _copies(context, catalog, media_store, embedder, remix_store, llm):
            if config.variant and output.variant != config.variant:
                continue
            thumbs, _ = stage.output_thumbnails(media, output, copy)
            results.append(stage.publish(output, copy, thumbs, ledger, options,
                                         do_upload=config.upload, client_factory=client,
                                         catalog=catalog.catalog()))
    return dg.MaterializeResult(metadata={
        "statuses": dg.MetadataValue.json({r.variant: r.status for r in results}),
        "youtube_ids": dg.MetadataValue.json({r.variant: r.youtube_id for r in results}),
        "requests": dg.MetadataValue.json({r.variant: r.requests for r in results})})


def _token_path(catalog: CatalogResource) -> Path:
    return Path(os.environ.get(TOKEN_ENV) or Path(catalog.path).with_name("youtube-token.json"))


@dg.asset(group_name="publish", kinds={"youtube"}, code_version="1")
def thumbnail_tests(context: dg.AssetExecutionContext,
                    catalog: CatalogResource) -> dg.MaterializeResult:
    """A/B thumbnail tests of uploaded outputs: the variants take turns a day at a time;
    impressions and click-through per day come from the Reporting API's
    channel_reach_basic_a1 report; the winner (two-proportion z-test) is set once the data
    supports it. Without an OAuth token every test says it is waiting."""
    ledger_file = stage.ledger_path(Path(catalog.path))
    rotations = abtest.RotationStore(ledger_file).all()
    token = _token_path(catalog)
    rows = []
    with user_errors():
        if rotations and token.is_file():
            creds = oauth_credentials(token, None, interactive=False)
            rows = abtest.run_tests(rotations, creds, datetime.now(timezone.utc).date(),
                                    youtube_client(creds), context.log.info)
        else:
            rows = [(r, abtest.decide(r, None)) for r in rotations]
    return dg.MaterializeResult(metadata={
        "tests": len(rows),
        "states": dg.MetadataValue.json({r.youtube_id: d.state for r, d in rows}),
        "thumbnail_tests": dg.MetadataValue.md(abtest.markdown(rows))})


# Reads every upload (the ledger youtube_upload writes) and the newest day of stats; the
# daily video_stats_job refreshes it.
@dg.asset(group_name="publish", kinds={"youtube"}, code_version="1",
          deps=["youtube_upload",
                dg.AssetDep("video_stats", partition_mapping=dg.LastPartitionMapping())])
def publish_report(catalog: CatalogResource, media_store: MediaStoreResource,
                   remix_store: RemixStoreResource,
                   stats_store: StatsStoreResource) -> dg.MaterializeResult:
    """Which topics, modes, lengths and hook styles perform best among the published
    outputs (median views, likes per view), from their latest daily stats."""
    from pattern_pivot.render.stage import load_plans

    media = media_store.store()
    requests = RemixStore(Path(remix_store.path))

    def request_for(output_id):
        try:
            return requests.get(output_id)
        except PatternPivotError:
            return None

    def plan_for(output_id, variant):
        try:
            plans = load_plans(media, output_id)
        except PatternPivotError:
            return None
        return next((p.plan for p in plans if p.plan.variant == variant), None)

    publications = PublishLedger(stage.ledger_path(Path(catalog.path))).all()
    with user_errors():
        outcomes = feedback.gather(publications, request_for, plan_for,
                                   stats_store.store().latest)
    rows = feedback.group_rows(outcomes)
    metadata = {"published": len(publications),
                "report": dg.MetadataValue.md(feedback.report_markdown(rows, len(publications)))}
    if rows:
        with tempfile.TemporaryDirectory() as folder:
            chart = feedback.render_report_chart(rows, Path(folder) / "report.png")
            metadata["chart"] = dg.MetadataValue.md(
                f"![chart](data:image/png;base64,{base64.b64encode(chart.read_bytes()).decode()})")
    return dg.MaterializeResult(metadata=metadata)


publish_assets = [publish_copy, publish_thumbnails, youtube_upload, thumbnail_tests,
                  publish_report]

# Run it once a day (by hand, or from a schedule you add) while tests are running.
thumbnail_test_job = dg.define_asset_job(
    "thumbnail_test_job", selection=dg.AssetSelection.assets(thumbnail_tests),
    executor_def=dg.in_process_executor,
    description="A/B thumbnail tests: read the Reporting API, set the day's variant or the "
                "winner, show each test's state.")

publish_job = dg.define_asset_job(
    "publish_job", selection=dg.AssetSelection.assets(publish_copy, publish_thumbnails,
                                                      youtube_upload),
    executor_def=dg.in_process_executor,
    description="Per remix request: copy, thumbnails, then the upload. A dry run unless the "
                "run config sets ops.youtube_upload.config.upload: true; never an output whose "
                "checks failed, never the same version twice.")
