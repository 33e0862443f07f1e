"""Slides beside the speaker: a deck built from the video's transcript, recorded in
headless Chromium and composited on the left of the talking video."""

import dagster as dg

from assets.failures import user_errors
from assets.partitions import videos_partitions
from pattern_pivot.present.deck import accent
from pattern_pivot.present.stage import store_presentation
from pattern_pivot.render.sources import StoreSources
from resources import CatalogResource, EmbedderResource, MediaStoreResource, RendererResource


class PresentationConfig(dg.Config):
    theme: str = ""  # a CSS file for the deck; empty: the bundled theme
    framing: str = "auto"  # the speaker: auto (follows the face), center or fit


@dg.asset(partitions_def=videos_partitions, group_name="presentation",
          kinds={"html", "chromium", "mp4"}, deps=[dg.AssetKey("video_transcript")],
          code_version="1", pool="render")
def video_presentation(context: dg.AssetExecutionContext, config: PresentationConfig,
                       catalog: CatalogResource, media_store: MediaStoreResource,
                       embedder: EmbedderResource,
                       renderer: RendererResource) -> dg.MaterializeResult:
    """One slide per section of the talk (sections end at long pauses and topic shifts), a
    title and up to three bullets in the speaker's words, as a self-contained HTML deck
    recorded frame-exact in headless Chromium and laid beside the speaker."""
    store = media_store.store()
    size = (renderer.frame_width or 1920, renderer.frame_height or 1080)
    with user_errors():
        entry = catalog.catalog().get(context.partition_key)
        out = store_presentation(store, entry.video_id, entry.title,
                                 StoreSources(catalog.catalog(), store), size,
                                 config.theme or None, embedder.embedder(), embedder.model,
                                 config.framing)
    table = "| # | from | to | title | bullets |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {s.index} <span style='color:{accent(s.index)}'>■</span> | {s.start:.1f} | "
        f"{s.end:.1f} | {s.title} | {' · '.join(s.bullets)} |" for s in out.slides)
    return dg.MaterializeResult(metadata={
        "status": "cached" if out.cached else "materialized", "slides": len(out.slides),
        "path": dg.MetadataValue.path(str(out.video)),
        "deck": dg.MetadataValue.path(str(out.deck)), "outline": dg.MetadataValue.md(table)})


present_assets = [video_presentation]

present_job = dg.define_asset_job(
    "present_job", selection=dg.AssetSelection.assets(video_presentation),
    executor_def=dg.in_process_executor,
    description="Per video: a slide deck synced to the transcript, recorded in headless "
                "chromium and composited beside the framed speaker.")
