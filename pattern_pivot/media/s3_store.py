"""The media store on S3 or any S3-compatible store (MinIO, Ceph, R2), behind the same
interface as the local store.

Objects live at ``s3://<bucket>/<prefix>/<asset>/<partition>/<name>``, each carrying the
fingerprint of the inputs that made it as object metadata (``x-amz-meta-inputs``): content
and fingerprint are published together by one PUT (or one CompleteMultipartUpload), so a
reader never sees a new file with an old fingerprint, and a failed or interrupted upload
publishes nothing (S3 makes an object visible only when its upload completes; a failed
multipart upload is aborted).

Stages read and write local files (ffmpeg, Whisper, ...), so the store keeps a local mirror
with a size bound: ``path()`` fetches an object into it when the remote copy is newer (a
streamed, resumable ranged download, never the whole file in memory) and ``atomic_write()``
hands out a temporary file there that is uploaded in parts on success. The mirror also holds
``<name>.inputs`` markers, so code that reads a stored file's fingerprint works unchanged.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.media.store import _check_part

log = logging.getLogger(__name__)

MiB = 1024 * 1024
GiB = 1024 * MiB
FINGERPRINT_KEY = "inputs"  # object metadata: x-amz-meta-inputs
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_STREAM_CHUNK = 1 * MiB


def is_s3_url(root: str) -> bool:
    return str(root).startswith("s3://")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # no leading or trailing slash; "" for the bucket's root

    @classmethod
    def parse(cls, url: str) -> "S3Location":
        """``s3://bucket/prefix`` -> bucket and prefix; a clear error for anything else."""
        if not is_s3_url(url):
            raise PatternPivotError(url, "is not an S3 URL", "write it as s3://bucket/prefix")
        bucket, _, prefix = url[len("s3://"):].partition("/")
        if not _BUCKET.match(bucket):
            raise PatternPivotError(
                url, f"names the bucket {bucket!r}, which is not a valid S3 bucket name",
                "use 3-63 lower-case letters, digits, dots and hyphens, e.g. "
                "s3://pattern-pivot-media/prod")
        parts = [p for p in prefix.split("/") if p]
        for part in parts:
            _check_part("S3 prefix part", part)
        return cls(bucket, "/".join(parts))

    def key(self, *parts: str) -> str:
        return "/".join(([self.prefix] if self.prefix else []) + list(parts))


class S3MediaStore:
    """A media store on S3; see the module docstring. ``client`` is a boto3 S3 client (from
    dagster-aws's ``S3Resource`` in the Dagster layer, or ``boto3.client("s3")``, which reads
    credentials and ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` from the standard chain)."""

    def __init__(self, client: Any, location: S3Location, cache_dir: Path,
                 cache_max_bytes: int = 20 * GiB, part_size: int = 8 * MiB,
                 max_concurrency: int = 4):
        from boto3.s3.transfer import TransferConfig

        self.client = client
        self.location = location
        self.root = Path(cache_dir).resolve()  # the local mirror
        self.cache_max_bytes = cache_max_bytes
        # Parts are read from the file as they are sent: memory stays at about
        # part_size * max_concurrency whatever the file's size.
        self.transfer = TransferConfig(multipart_threshold=part_size,
                                       multipart_chunksize=part_size,
                                       max_concurrency=max_concurrency)

    @classmethod
    def from_url(cls, url: str, client: Any, cache_dir: Path, **options: Any) -> "S3MediaStore":
        return cls(client, S3Location.parse(url), cache_dir, **options)

    def __repr__(self) -> str:
        return f"S3MediaStore(s3://{self.location.bucket}/{self.location.prefix})"

    # ---- the MediaStore interface -----------------------------------------------------------

    def key(self, asset: str, partition: str, name: str) -> str:
        return self.location.key(_check_part("asset", asset),
                                 _check_part("partition", partition), _check_part("name", name))

    def path(self, asset: str, partition: str, name: str) -> Path:
        """The local mirror's copy, fetched first when the object exists and the copy is
        missing or older; a path to write when the object does not exist."""
        local = self._local(asset, partition, name)
        head = self._head(self.key(asset, partition, name))
        if head is not None:
            self._fetch(self.key(asset, partition, name), local, head)
        return local

    def is_current(self, asset: str, partition: str, name: str, fingerprint: str) -> bool:
        head = self._head(self.key(asset, partition, name))
        return head is not None and _fingerprint(head) == fingerprint

    def names(self, asset: str, partition: str) -> list[str]:
        """The names stored under one asset's partition, sorted."""
        folder = self.key(asset, partition, "x")[:-1]
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=folder):
            for item in page.get("Contents", []):
                rest = item["Key"][len(folder):]
                if "/" not in rest and not rest.startswith("."):
                    found.append(rest)
        return sorted(found)

    def partitions(self, asset: str) -> list[str]:
        """The partitions that hold objects of ``asset``, sorted."""
        folder = self.location.key(_check_part("asset", asset)) + "/"
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=folder, Delimiter="/"):
            found += [p["Prefix"][len(folder):].rstrip("/") for p in page.get("CommonPrefixes", [])]
        return sorted(found)

    @contextmanager
    def atomic_write(self, asset: str, partition: str, name: str,
                     fingerprint: str) -> Iterator[Path]:
        """Yield a temporary local file; on success upload it with its fingerprint (in parts
        when large) and keep it as the mirror's copy. On failure nothing is published and the
        object that was there (if any) stays, with its own fingerprint."""
        key = self.key(asset, partition, name)
        local = self._local(asset, partition, name)
        local.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=Path(name).suffix,
                                        dir=local.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            yield tmp
            size = tmp.stat().st_size
            log.info("uploading %s (%.1f MB) to s3://%s/%s", name, size / 1e6,
                     self.location.bucket, key)
            self.client.upload_file(str(tmp), self.location.bucket, key,
                                    ExtraArgs={"Metadata": {FINGERPRINT_KEY: fingerprint}},
                                    Config=self.transfer)
            head = self._head(key)
            if head is None or head["ContentLength"] != size:
                raise PatternPivotError(f"s3://{self.location.bucket}/{key}",
                                        "was not there with the uploaded size after the upload",
                                        "check the bucket's lifecycle rules and retry")
            os.replace(tmp, local)
            self._mirror_metadata(local, head)
            self._evict(keep=local)
        finally:
            tmp.unlink(missing_ok=True)

    def presigned_url(self, asset: str, partition: str, name: str,
                      expires_seconds: int = 3600) -> str:
        """A time-limited GET URL (for ffmpeg reading a source without a local copy, or a
        client downloading an output); it carries a signature, never the credentials."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.location.bucket,
                                  "Key": self.key(asset, partition, name)},
            ExpiresIn=expires_seconds)

    # ---- the local mirror ---------------------------------------------------------------------

    def _local(self, asset: str, partition: str, name: str) -> Path:
        return self.root / _check_part("asset", asset) / _check_part("partition", partition) / \
            _check_part("name", name)

    def _head(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.location.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _fetch(self, key: str, local: Path, head: dict) -> None:
        """Make ``local`` the object's current content. An interrupted download leaves a
        ``.part`` file that the next call resumes with a ranged GET (if the object is still
        the same, by ETag); otherwise it starts over."""
        etag = head["ETag"]
        tag = _etag_path(local)
        if local.is_file() and tag.is_file() and tag.read_text() == etag:
            os.utime(local)  # recently used: evicted last
            return
        local.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(local.with_name(f".{local.name}.lock")):
            if local.is_file() and tag.is_file() and tag.read_text() == etag:
                return  # another process fetched it while we waited
            part = local.with_name(f".{local.name}.part")
            part_tag = _etag_path(part)
            size = head["ContentLength"]
            offset = part.stat().st_size if (
                part.is_file() and part_tag.is_file() and part_tag.read_text() == etag) else 0
            if offset == 0:
                part.write_bytes(b"")
                part_tag.write_text(etag)
            elif offset > size:
                raise PatternPivotError(str(part), "is longer than the object it mirrors",
                                        "delete it; the next read fetches the object again")
            if offset < size:
                if offset:
                    log.info("resuming s3://%s/%s at byte %d of %d", self.location.bucket,
                             key, offset, size)
                response = self.client.get_object(Bucket=self.location.bucket, Key=key,
                                                  Range=f"bytes={offset}-", IfMatch=etag)
                with open(part, "ab") as out:
                    for chunk in response["Body"].iter_chunks(_STREAM_CHUNK):
                        out.write(chunk)
            if part.stat().st_size != size:
                raise PatternPivotError(f"s3://{self.location.bucket}/{key}",
                                        f"downloaded {part.stat().st_size} of {size} bytes",
                                        "retry: the download resumes where it stopped")
            # The marker goes first (as in the local store): a crash between leaves a copy
            # whose ETag sidecar is missing, so the next read fetches it again.
            tag.unlink(missing_ok=True)
            os.replace(part, local)
            part_tag.unlink(missing_ok=True)
            self._mirror_metadata(local, head)
        self._evict(keep=local)

    def _mirror_metadata(self, local: Path, head: dict) -> None:
        marker = local.with_name(local.name + ".inputs")
        fingerprint = _fingerprint(head)
        if fingerprint is None:
            marker.unlink(missing_ok=True)
        else:
            _write_atomic(marker, fingerprint)
        _write_atomic(_etag_path(local), head["ETag"])

    def _evict(self, keep: Path) -> None:
        """Delete least recently used copies until the mirror fits its bound (the file just
        used stays: the bound must hold the largest single run's inputs)."""
        files = [p for p in self.root.rglob("*") if p.is_file() and not p.name.startswith(".")
                 and not p.name.endswith(".inputs")]
        total = sum(p.stat().st_size for p in files)
        if total <= self.cache_max_bytes:
            return
        for path in sorted(files, key=lambda p: p.stat().st_mtime):
            if total <= self.cache_max_bytes:
                break
            if path == keep:
                continue
            size = path.stat().st_size
            _etag_path(path).unlink(missing_ok=True)
            path.with_name(path.name + ".inputs").unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            total -= size
            log.info("media cache: evicted %s (%.1f MB) to stay under %.1f GB", path,
                     size / 1e6, self.cache_max_bytes / GiB)


def _fingerprint(head: dict) -> str | None:
    return (head.get("Metadata") or {}).get(FINGERPRINT_KEY)


def _etag_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.etag")


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp_name, path)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """One process fetches a given object into the mirror at a time."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
