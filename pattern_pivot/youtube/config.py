"""YouTube settings from environment variables (the API key is read by the resource only).

Reading never raises: an unusable download setting is kept in ``problems`` and raised by the
download (the only stage that needs it), so the code location, local-file ingest and the
upload sensor keep working while it is wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from string import Formatter

from pattern_pivot.settings import EnvReader, SettingError

API_KEY_ENV = "PATTERN_PIVOT_YOUTUBE_API_KEY"
DOWNLOAD_URL_ENV = "PATTERN_PIVOT_YOUTUBE_DOWNLOAD_URL"
WATCH_URL = "https://www.youtube.com/watch?v={id}"


def _download_url(reader: EnvReader) -> str:
    value = os.environ.get(DOWNLOAD_URL_ENV) or ""
    if not value:
        return WATCH_URL
    try:
        fields = {name for _, name, _, _ in Formatter().parse(value) if name is not None}
    except ValueError:
        fields = set()
    if fields != {"id"}:
        reader.problems.append(SettingError(
            DOWNLOAD_URL_ENV, value, "is not a URL template with one {id} placeholder",
            f"set it like {WATCH_URL} or unset it"))
        return WATCH_URL
    return value


@dataclass(frozen=True)
class YouTubeConfig:
    channels: tuple[str, ...] = ()
    api_endpoint: str = ""
    download_url_template: str = WATCH_URL
    max_height: int = 1080
    max_filesize_mb: float = 2048.0
    max_duration_s: float = 4 * 3600.0
    captions: bool = True
    # Unusable download settings (their defaults stand in above); see SettingError.
    problems: tuple[SettingError, ...] = ()

    @classmethod
    def from_env(cls) -> "YouTubeConfig":
        env = os.environ.get
        read = EnvReader()
        channels = tuple(c.strip() for c in (env("PATTERN_PIVOT_YOUTUBE_CHANNELS") or "")
                         .split(",") if c.strip())
        return cls(
            channels=channels, api_endpoint=env("PATTERN_PIVOT_YOUTUBE_API_ENDPOINT") or "",
            download_url_template=_download_url(read),
            max_height=read.whole_number("PATTERN_PIVOT_YOUTUBE_MAX_HEIGHT", 1080),
            max_filesize_mb=read.number("PATTERN_PIVOT_YOUTUBE_MAX_FILESIZE_MB", 2048.0),
            max_duration_s=read.number("PATTERN_PIVOT_YOUTUBE_MAX_DURATION_S", 4 * 3600.0),
            captions=read.flag("PATTERN_PIVOT_YOUTUBE_CAPTIONS", True),
            problems=tuple(read.problems))
