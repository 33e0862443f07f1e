"""Download a video with yt-dlp (pytube is unmaintained and broken against today's YouTube).

At most 1080p, MP4 (H.264 + AAC merged by ffmpeg when YouTube serves them separately), with
size and duration limits, plus YouTube's own captions when it has them: uploaded subtitles
first, automatic captions otherwise (json3 keeps their per-word timings).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yt_dlp
from yt_dlp.utils import DownloadError, match_filter_func

from pattern_pivot.youtube.errors import YouTubeDownloadError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DownloadLimits:
    max_height: int = 1080
    max_filesize_mb: float = 2048.0
    max_duration_s: float = 4 * 3600.0
    captions: bool = True
    caption_languages: tuple[str, ...] = ("en", "en-.*", "en.*")

    def format_selector(self) -> str:
        # `<=?`: a source that does not say its height (a direct file) still qualifies.
        h = self.max_height
        return (f"bv*[height<=?{h}][ext=mp4]+ba[ext=m4a]/b[height<=?{h}][ext=mp4]/"
                f"b[height<=?{h}]")


@dataclass(frozen=True)
class Downloaded:
    path: Path
    captions: Path | None
    caption_kind: str  # "manual", "auto" or ""
    caption_language: str
    title: str
    duration_s: float | None


class _Logger:
    """yt-dlp's messages go to our log, never to stdout."""

    def debug(self, msg: str) -> None:
        log.debug(msg)

    def info(self, msg: str) -> None:
        log.debug(msg)

    def warning(self, msg: str) -> None:
        log.warning(msg)

    def error(self, msg: str) -> None:
        log.error(msg)


def download(url: str, dest_dir: Path, limits: DownloadLimits = DownloadLimits()) -> Downloaded:
    """Download ``url`` into ``dest_dir`` (which the caller cleans up)."""
    dest_dir = Path(dest_dir)
    options = {
        "format": limits.format_selector(),
        "merge_output_format": "mp4",
        # The last fallback may be WebM: remux (no re-encode) so the store always holds MP4.
        "postprocessors": [{"key": "FFmpegVideoRemuxer", "preferedformat": "mp4"}],
        "outtmpl": {"default": str(dest_dir / "video.%(ext)s"),
                    "subtitle": str(dest_dir / "captions.%(ext)s")},
        "max_filesize": int(limits.max_filesize_mb * 1024 * 1024),
        "match_filter": match_filter_func(f"duration <=? {limits.max_duration_s:g}"),
        "noplaylist": True, "quiet": True, "no_warnings": True, "noprogress": True,
        "logger": _Logger(), "socket_timeout": 30, "retries": 3, "cachedir": False,
        "writesubtitles": limits.captions, "writeautomaticsub": limits.captions,
        "subtitleslangs": list(limits.caption_languages),
        "subtitlesformat": "json3/vtt/best",
    }
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(url, download=True)
    except DownloadError as exc:
        message = str(exc).removeprefix("ERROR: ").strip()
        raise YouTubeDownloadError(url, f"could not be downloaded ({message})",
                                   "check the video is public and still online; if yt-dlp "
                                   "is outdated, upgrade it") from None
    downloads = (info or {}).get("requested_downloads") or []
    files = [Path(d["filepath"]) for d in downloads if d.get("filepath")]
    if not info or not files or not files[0].is_file():
        raise YouTubeDownloadError(
            url, "was skipped: it breaks the download limits (longer than "
            f"{limits.max_duration_s:g} s or bigger than {limits.max_filesize_mb:g} MB)",
            "raise PATTERN_PIVOT_YOUTUBE_MAX_DURATION_S / PATTERN_PIVOT_YOUTUBE_MAX_FILESIZE_MB "
            "if you really want it")
    # yt-dlp names them captions.<lang>.<ext>; json3 first (per-word timings), then vtt.
    written = sorted(dest_dir.glob("captions.*"), key=lambda p: (p.suffix != ".json3", p.name))
    captions = written[0] if written else None
    language = captions.name.split(".")[1] if captions else ""
    manual = (info.get("subtitles") or {}) or (info.get("entries") or [{}])[0].get("subtitles")
    kind = ("manual" if language in (manual or {}) else "auto") if captions else ""
    return Downloaded(path=files[0], captions=captions, caption_kind=kind,
                      caption_language=language, title=info.get("title") or "",
                      duration_s=info.get("duration"))
