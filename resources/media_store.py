from pathlib import Path
from typing import Optional

import dagster as dg
from dagster_aws.s3 import S3Resource

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.media.s3_store import GiB, S3MediaStore, is_s3_url
from pattern_pivot.media.store import LocalMediaStore, MediaStore


class MediaStoreResource(dg.ConfigurableResource):
    """Where media files live: ``<root>/<asset>/<partition>/<name>``. ``root`` is a local
    directory or ``s3://bucket/prefix`` (any S3-compatible store: the client comes from
    dagster-aws's ``s3`` resource, whose defaults follow the standard AWS chain, including
    ``AWS_ENDPOINT_URL_S3``); S3 files are mirrored in ``cache_dir``, at most
    ``cache_max_gb`` of them."""

    root: str
    cache_dir: str = ""
    cache_max_gb: float = 20.0
    part_size_mb: int = 8
    s3: Optional[S3Resource] = None  # None: S3Resource() (the standard AWS chain)

    def local_root(self) -> Path:
        """Where files are on this machine: the root, or an S3 store's mirror."""
        return Path(self.cache_dir if is_s3_url(self.root) else self.root)

    def store(self) -> MediaStore:
        if not is_s3_url(self.root):
            return LocalMediaStore(Path(self.root))
        if not self.cache_dir:
            raise PatternPivotError(f"media_store root {self.root}", "has no local cache_dir",
                                    "set the resource's cache_dir (PATTERN_PIVOT_MEDIA_CACHE)")
        client = (self.s3 or S3Resource()).get_client()
        return S3MediaStore.from_url(self.root, client, Path(self.cache_dir),
                                     cache_max_bytes=int(self.cache_max_gb * GiB),
                                     part_size=self.part_size_mb * 1024 * 1024)
