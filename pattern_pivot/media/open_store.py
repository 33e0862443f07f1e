"""The configured media store outside Dagster (the CLI, the API): the local root, or the S3
store with its bounded local mirror when ``PATTERN_PIVOT_MEDIA_ROOT`` is ``s3://...``.

The Dagster layer builds the same store from the ``media_store`` resource; both read the
same objects, so a file a run wrote on another machine is fetched here on first read.
"""

from __future__ import annotations

from typing import Any

from pattern_pivot.media.s3_store import GiB, S3MediaStore
from pattern_pivot.media.store import LocalMediaStore, MediaStore
from pattern_pivot.settings import Settings

CACHE_MAX_GB = 20.0  # as the media_store resource's cache_max_gb default


def open_media_store(settings: Settings, client: Any = None) -> MediaStore:
    """The store ``settings`` name; ``client`` (a boto3 S3 client) defaults to
    ``boto3.client("s3")``, which reads credentials and ``AWS_ENDPOINT_URL_S3`` from the
    standard AWS chain."""
    if not settings.media_uri:
        return LocalMediaStore(settings.media_root)
    if client is None:
        import boto3

        client = boto3.client("s3")
    return S3MediaStore.from_url(settings.media_uri, client, settings.media_root,
                                 cache_max_bytes=int(CACHE_MAX_GB * GiB))
