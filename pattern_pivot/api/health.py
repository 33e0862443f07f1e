"""What ``GET /api/health`` checks: each backend the platform needs, answered cheaply."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from pattern_pivot.settings import Settings


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = {"ok": True, **check()}
    except Exception as exc:  # noqa: BLE001 - health reports every failure, it never raises
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    result["ms"] = round(1000 * (time.perf_counter() - started), 1)
    return result


def dagster_health(instance) -> dict:
    def check() -> dict:
        instance.get_runs(limit=1)
        return {"storage": type(instance.run_storage).__name__,
                "run_coordinator": type(instance.run_coordinator).__name__}
    return _timed(check)


def milvus_health(uri: str) -> dict:
    """A Milvus Lite file is not opened (that would take its lock from a running ingest):
    its folder must be writable. A server is asked for its collections."""
    def check() -> dict:
        if uri.endswith(".db"):
            folder = Path(uri).parent
            folder.mkdir(parents=True, exist_ok=True)
            if not os.access(folder, os.W_OK):
                raise PermissionError(f"{folder} is not writable")
            return {"kind": "milvus-lite", "exists": Path(uri).exists()}
        from pymilvus import MilvusClient

        client = MilvusClient(uri, token=os.environ.get("PATTERN_PIVOT_MILVUS_TOKEN", ""),
                              timeout=5)
        try:
            return {"kind": "server", "collections": len(client.list_collections())}
        finally:
            client.close()
    return _timed(check)


def stats_health(settings: Settings) -> dict:
    def check() -> dict:
        from pattern_pivot.stats.config import StatsConfig, open_stats_store

        config = StatsConfig.from_env(settings.data_dir)
        store = open_stats_store(config.backend, config.sqlite_path, config.dynamodb_table,
                                 config.dynamodb_endpoint, config.aws_region, max_attempts=1)
        store.is_complete(datetime.now(timezone.utc).strftime("%Y-%m-%d"))
        return {"backend": config.backend}
    return _timed(check)


def media_health(media_root: Path) -> dict:
    def check() -> dict:
        media_root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=media_root, prefix=".health."):
            pass
        return {"free_bytes": shutil.disk_usage(media_root).free}
    return _timed(check)
