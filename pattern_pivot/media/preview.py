"""A few seconds of a video as a small animated WebP, so the UI shows it move."""

from __future__ import annotations

from pathlib import Path

from pattern_pivot.media.ffmpeg import run_ffmpeg

PREVIEW_SECONDS = 3.0
PREVIEW_WIDTH = 240
PREVIEW_FPS = 8
# Shown inline in Dagster's metadata (base64): keep it to tens of KB, a few hundred at most.
MAX_PREVIEW_BYTES = 300_000


def write_animated_preview(source: Path, target: Path, start: float, *, subject: str,
                           fix: str) -> None:
    """``PREVIEW_SECONDS`` from ``start``, ``PREVIEW_WIDTH`` px wide, looping."""
    run_ffmpeg(["-ss", f"{max(start, 0.0):.3f}", "-t", f"{PREVIEW_SECONDS:g}", "-i", source,
                "-an", "-vf", f"fps={PREVIEW_FPS},scale={PREVIEW_WIDTH}:-2:flags=lanczos",
                "-c:v", "libwebp_anim", "-quality", "40", "-compression_level", "4",
                "-loop", "0", "-f", "webp", target], subject=subject, fix=fix)
