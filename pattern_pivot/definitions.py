"""The code location: the one place where Dagster Definitions are assembled."""

import dagster as dg

from assets.ingest import ingest_assets
from assets.remix import remix_assets
from assets.understand import transcript_chunks
from pattern_pivot.settings import Settings
from resources import (
    CatalogResource,
    EmbedderResource,
    LLMResource,
    MediaStoreResource,
    RemixStoreResource,
    TranscriberResource,
    VectorStoreResource,
)
from sensors.channel_folder import channel_folder_sensor
from sensors.jobs import ingest_job, register_remix_job, remix_job
from sensors.remix_requests import remix_requests_sensor


def build_definitions(settings: Settings | None = None,
                      transcriber: TranscriberResource | None = None,
                      llm: LLMResource | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    return dg.Definitions(
        assets=[*ingest_assets, transcript_chunks, *remix_assets],
        jobs=[ingest_job, remix_job, register_remix_job],
        sensors=[channel_folder_sensor, remix_requests_sensor],
        resources={
            "catalog": CatalogResource(path=str(settings.catalog_path),
                                       watch_dir=str(settings.watch_dir)),
            "media_store": MediaStoreResource(root=str(settings.media_root)),
            "transcriber": transcriber or TranscriberResource(
                model=settings.asr_model),
            "embedder": EmbedderResource(model=settings.embedding_model),
            "vector_store": VectorStoreResource(uri=settings.vector_uri),
            "remix_store": RemixStoreResource(path=str(settings.remix_store_path),
                                              requests_dir=str(settings.remix_requests_dir)),
            "llm": llm or LLMResource(providers_json=settings.llm_providers,
                                      local_model=settings.local_llm),
        },
    )


defs = build_definitions()
