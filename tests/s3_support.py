"""moto's S3 server on 127.0.0.1 (S3's real HTTP API, through boto3) for media store tests."""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import boto3

from pattern_pivot.media.s3_store import MiB, S3Location, S3MediaStore

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing",
               "region_name": "us-east-1"}
_buckets = itertools.count()


@dataclass
class S3Server:
    url: str

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.url, **CREDENTIALS)

    def bucket(self) -> str:
        name = f"media-{next(_buckets)}"
        self.client().create_bucket(Bucket=name)
        return name

    def store(self, bucket: str, cache: Path, client: Any = None, **options: Any
              ) -> S3MediaStore:
        options.setdefault("part_size", 5 * MiB)  # S3's smallest part
        return S3MediaStore(client or self.client(), S3Location(bucket, "pp"), cache, **options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def moto_s3_process() -> Iterator[str]:
    """moto's server in its own process (so the objects it holds never count in this
    process's memory), on 127.0.0.1; yields its URL and stops it after."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"moto server exited with {server.returncode}") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
