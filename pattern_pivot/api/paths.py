"""Where the API keeps its own files: its job list and each job's worker log beside the
catalog, uploads in the media store (``uploads/<job>/<name>``)."""

from __future__ import annotations

from pathlib import Path

from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.settings import Settings

UPLOADS_ASSET = "uploads"


def api_dir(settings: Settings) -> Path:
    return settings.data_dir / "api"


def job_store_path(settings: Settings) -> Path:
    return api_dir(settings) / "jobs.sqlite"


def worker_log(settings: Settings, job_id: str) -> Path:
    return api_dir(settings) / "logs" / f"{job_id}.log"


def upload_dir(settings: Settings, job_id: str) -> Path:
    """The job's upload folder (the media store checks the id like any partition key)."""
    return LocalMediaStore(settings.media_root).path(UPLOADS_ASSET, job_id, "x").parent
