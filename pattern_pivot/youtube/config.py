"""YouTube settings from environment variables (the API key is read by the resource only)."""

from __future__ import annotations

import os
from dataclasses import dataclass

API_KEY_ENV = "PATTERN_PIVOT_YOUTUBE_API_KEY"
WATCH_URL = "https://www.youtube.com/watch?v={id}"


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None


@dataclass(frozen=True)
class YouTubeConfig:
    channels: tuple[str, ...] = ()
    api_endpoint: str = ""
    download_url_template: str = WATCH_URL
    max_height: int = 1080
    max_filesize_mb: float = 2048.0
    max_duration_s: float = 4 * 3600.0
    captions: bool = True

    @classmethod
    def from_env(cls) -> "YouTubeConfig":
        env = os.environ.get
        channels = tuple(c.strip() for c in (env("PATTERN_PIVOT_YOUTUBE_CHANNELS") or "")
                         .split(",") if c.strip())
        return cls(
            channels=channels, api_endpoint=env("PATTERN_PIVOT_YOUTUBE_API_ENDPOINT") or "",
            download_url_template=env("PATTERN_PIVOT_YOUTUBE_DOWNLOAD_URL") or WATCH_URL,
            max_height=int(_float("PATTERN_PIVOT_YOUTUBE_MAX_HEIGHT", 1080)),
            max_filesize_mb=_float("PATTERN_PIVOT_YOUTUBE_MAX_FILESIZE_MB", 2048.0),
            max_duration_s=_float("PATTERN_PIVOT_YOUTUBE_MAX_DURATION_S", 4 * 3600.0),
            captions=(env("PATTERN_PIVOT_YOUTUBE_CAPTIONS") or "1").strip().lower()
            not in ("0", "false", "no", "off"))
