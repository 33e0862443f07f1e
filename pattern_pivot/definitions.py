"""The code location: the one place where Dagster Definitions are assembled."""

import dagster as dg

from assets.compose import compose_assets
from assets.ingest import ingest_assets
from assets.understand import transcript_chunks
from pattern_pivot.settings import Settings
from resources import (
    CatalogResource,
    EmbedderResource,
    MediaStoreResource,
    RendererResource,
    TranscriberResource,
    TTSResource,
    VectorStoreResource,
)
from sensors.channel_folder import channel_folder_sensor
from sensors.jobs import ingest_job


def build_definitions(settings: Settings | None = None,
                      transcriber: TranscriberResource | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    return dg.Definitions(
        assets=[*ingest_assets, transcript_chunks, *compose_assets],
        jobs=[ingest_job],
        sensors=[channel_folder_sensor],
        resources={
            "catalog": CatalogResource(path=str(settings.catalog_path),
                                       watch_dir=str(settings.watch_dir)),
            "media_store": MediaStoreResource(root=str(settings.media_root)),
            "transcriber": transcriber or TranscriberResource(
                model=settings.asr_model),
            "embedder": EmbedderResource(model=settings.embedding_model),
            "vector_store": VectorStoreResource(uri=settings.vector_uri),
            "tts": TTSResource(backend=settings.tts_backend, model=settings.tts_model,
                               config_path=settings.tts_config),
            "renderer": RendererResource(),
        },
    )


defs = build_definitions()
