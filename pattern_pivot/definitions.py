"""The code location: the one place where Dagster Definitions are assembled."""

import os

import dagster as dg

from assets.catalog import video_catalog
from assets.channel import channel_assets
from assets.compose import compose_assets
from assets.health import health_assets, run_health_job
from assets.ingest import ingest_assets
from assets.languages import language_assets, languages_job
from assets.present import present_assets, present_job
from assets.publish import publish_assets, publish_job, thumbnail_test_job
from assets.remix import remix_assets
from assets.shorts import shorts_assets, shorts_job
from assets.subtitles import subtitle_assets
from assets.trailer import channel_trailer_job, trailer_assets, trailer_job
from assets.understand import understand_assets
from pattern_pivot.settings import Settings
from pattern_pivot.stats.config import StatsConfig
from pattern_pivot.youtube.config import API_KEY_ENV, YouTubeConfig
from resources import (
    CatalogResource,
    EmbedderResource,
    LLMResource,
    MediaStoreResource,
    RemixStoreResource,
    RendererResource,
    StatsStoreResource,
    TranscriberResource,
    TTSResource,
    VectorStoreResource,
    YouTubeResource,
)
from sensors.channel_folder import channel_folder_sensor
from sensors.dead_runs import dead_runs_sensor
from sensors.jobs import ingest_job, register_remix_job, remix_job, video_stats_job
from sensors.remix_requests import remix_requests_sensor
from sensors.schedules import run_health_schedule, video_stats_schedule
from sensors.youtube_uploads import build_youtube_uploads_sensor


def youtube_resource_from_env() -> YouTubeResource:
    """The key stays an EnvVar (read at run time, never shown in the UI); without one, the
    resource is unconfigured and everything YouTube-related skips with a clear reason."""
    config = YouTubeConfig.from_env()
    return YouTubeResource(
        api_key=dg.EnvVar(API_KEY_ENV) if os.environ.get(API_KEY_ENV) else "",
        channels=list(config.channels),
        download_url_template=config.download_url_template, max_height=config.max_height,
        max_filesize_mb=config.max_filesize_mb, max_duration_s=config.max_duration_s,
        captions=config.captions,
        invalid_setting=config.problems[0].parts() if config.problems else [])


def stats_store_resource_for(settings: Settings) -> StatsStoreResource:
    config = StatsConfig.from_env(settings.data_dir)
    return StatsStoreResource(backend=config.backend, sqlite_path=config.sqlite_path,
                              dynamodb_table=config.dynamodb_table,
                              dynamodb_endpoint=config.dynamodb_endpoint,
                              aws_region=config.aws_region)


def build_definitions(settings: Settings | None = None,
                      transcriber: TranscriberResource | None = None,
                      youtube: YouTubeResource | None = None,
                      stats_store: StatsStoreResource | None = None,
                      llm: LLMResource | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    youtube = youtube or youtube_resource_from_env()
    youtube_ready = bool(os.environ.get(API_KEY_ENV) or youtube.api_key) and bool(
        youtube.channels)
    return dg.Definitions(
        assets=[video_catalog, *ingest_assets, *understand_assets, *channel_assets,
                *remix_assets, *compose_assets, *publish_assets, *subtitle_assets,
                *shorts_assets, *language_assets, *health_assets, *trailer_assets,
                *present_assets],
        jobs=[ingest_job, video_stats_job, remix_job, register_remix_job, publish_job,
              thumbnail_test_job, shorts_job, languages_job, run_health_job, trailer_job,
              channel_trailer_job, present_job],
        sensors=[channel_folder_sensor, build_youtube_uploads_sensor(youtube_ready),
                 remix_requests_sensor, dead_runs_sensor],
        schedules=[video_stats_schedule, run_health_schedule],
        resources={
            "catalog": CatalogResource(path=str(settings.catalog_path),
                                       watch_dir=str(settings.watch_dir)),
            "media_store": MediaStoreResource(root=settings.media_location,
                                              cache_dir=str(settings.media_root)),
            "transcriber": transcriber or TranscriberResource(
                model=settings.asr_model, glossary=list(settings.glossary)),
            "embedder": EmbedderResource(model=settings.embedding_model,
                                         backend=settings.embedding_backend),
            "vector_store": VectorStoreResource(uri=settings.vector_uri),
            "tts": TTSResource(backend=settings.tts_backend, model=settings.tts_model,
                               config_path=settings.tts_config),
            "renderer": RendererResource(),
            "youtube": youtube,
            "stats_store": stats_store or stats_store_resource_for(settings),
            "remix_store": RemixStoreResource(path=str(settings.remix_store_path),
                                              requests_dir=str(settings.remix_requests_dir)),
            "llm": llm or LLMResource(providers_json=settings.llm_providers,
                                      local_model=settings.local_llm),
        },
    )


defs = build_definitions()
