"""A video file registered and ingested (source, audio, tiny.en transcript) through the real
assets, for tests that build on a transcript (shorts, trailers)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.ingest import source_video, video_audio, video_transcript
from pattern_pivot.catalog import Catalog
from resources import CatalogResource, MediaStoreResource, TranscriberResource, YouTubeResource
from tests.conftest import make_settings


def ingested_file(root: Path, video: Path):
    """(settings, video_id, resources) with ``video`` ingested into a new data dir under
    ``root``; ``resources`` are the catalog and media store the assets ran with."""
    settings = make_settings(root / "data")
    video_id = Catalog(settings.catalog_path).register_file(video).video_id
    resources = {"catalog": CatalogResource(path=str(settings.catalog_path),
                                            watch_dir=str(settings.watch_dir)),
                 "media_store": MediaStoreResource(root=str(settings.media_root))}
    source_video(dg.build_asset_context(partition_key=video_id), **resources,
                 youtube=YouTubeResource())
    video_audio(dg.build_asset_context(partition_key=video_id), **resources)
    video_transcript(dg.build_asset_context(partition_key=video_id), **resources,
                     transcriber=TranscriberResource(model="tiny.en", beam_size=1))
    return settings, video_id, resources
