"""Errors a YouTube source can raise; each names the input, the problem and the fix."""

from __future__ import annotations

from pattern_pivot.errors import PatternPivotError


class YouTubeError(PatternPivotError):
    """The YouTube Data API refused a request or answered something we cannot read."""


class YouTubeQuotaError(YouTubeError):
    """The API key's daily quota is spent (403 quotaExceeded): retrying today cannot help."""


class YouTubeAuthError(YouTubeError):
    """The API key is missing, invalid, or not allowed to call the YouTube Data API."""


class YouTubeUnreachableError(YouTubeError):
    """No answer from the API endpoint at all (refused, unresolvable, timed out)."""


class YouTubeDownloadError(YouTubeError):
    """yt-dlp could not download a video within the configured limits."""
