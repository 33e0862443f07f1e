import os
from pathlib import Path

import dagster as dg

from pattern_pivot.settings import raise_setting_error
from pattern_pivot.youtube.api import API_ENDPOINT_ENV, QuotaMeter, YouTubeClient
from pattern_pivot.youtube.config import WATCH_URL
from pattern_pivot.youtube.download import Downloaded, DownloadLimits, download


class YouTubeResource(dg.ConfigurableResource):
    """The YouTube Data API v3 (API key from PATTERN_PIVOT_YOUTUBE_API_KEY, never logged)
    for channels, uploads and statistics; yt-dlp for downloads.

    The API endpoint is not a field: run config can change fields per run, and the key goes
    wherever the endpoint points. It comes from PATTERN_PIVOT_YOUTUBE_API_ENDPOINT in the
    environment only (unset: Google's)."""

    api_key: str = ""
    channels: list[str] = []  # ids (UC...) or handles (@name) the upload sensor follows
    download_url_template: str = WATCH_URL  # "{id}" is the YouTube video id
    max_height: int = 1080
    max_filesize_mb: float = 2048.0
    max_duration_s: float = 4 * 3600.0
    captions: bool = True
    max_retries: int = 4
    # An unusable download setting read from the environment ([variable, value, problem,
    # fix]): downloads raise it, so the code location and local files are unaffected.
    invalid_setting: list[str] = []

    @property
    def configured(self) -> bool:
        return bool(self.api_key)

    def client(self, meter: QuotaMeter | None = None) -> YouTubeClient:
        endpoint = os.environ.get(API_ENDPOINT_ENV, "").strip()
        return YouTubeClient(self.api_key, api_endpoint=endpoint, max_retries=self.max_retries,
                             meter=meter)

    def limits(self) -> DownloadLimits:
        raise_setting_error(self.invalid_setting)
        return DownloadLimits(max_height=self.max_height, max_filesize_mb=self.max_filesize_mb,
                              max_duration_s=self.max_duration_s, captions=self.captions)

    def download_url(self, youtube_id: str) -> str:
        raise_setting_error(self.invalid_setting)
        return self.download_url_template.format(id=youtube_id)

    def download(self, url: str, dest_dir: Path) -> Downloaded:
        return download(url, dest_dir, self.limits())
