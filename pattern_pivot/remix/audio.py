"""The audio-only supercut: the plan's spans stitched into one new track with ffmpeg.

Each span is read with input seeking (only its own seconds are decoded), faded in and out
over a few milliseconds so cuts do not click, and concatenated in one filter graph; ffmpeg
streams it, so memory stays flat however long the sources are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from pattern_pivot.media.ffmpeg import run_ffmpeg

FADE_SECONDS = 0.02


def stitch_audio(pieces: Sequence[tuple[Path, float, float]], output: Path, *,
                 sample_rate: int = 48000) -> None:
    """Write ``(source file, start, end)`` pieces, in order, as one AAC track (.m4a)."""
    if not pieces:
        raise ValueError("nothing to stitch")
    args: list = []
    chains = []
    for i, (path, start, end) in enumerate(pieces):
        length = end - start
        args += ["-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", Path(path).resolve()]
        fade_out = max(0.0, length - FADE_SECONDS)
        chains.append(f"[{i}:a:0]aresample={sample_rate},aformat=channel_layouts=mono,"
                      f"afade=t=in:d={FADE_SECONDS},afade=t=out:st={fade_out:.3f}:"
                      f"d={FADE_SECONDS}[a{i}]")
    graph = ";".join(chains) + ";" + "".join(f"[a{i}]" for i in range(len(pieces))) \
        + f"concat=n={len(pieces)}:v=0:a=1[out]"
    run_ffmpeg([*args, "-filter_complex", graph, "-map", "[out]", "-c:a", "aac", "-b:a", "128k",
                "-f", "mp4", output],
               subject=", ".join(sorted({str(p) for p, _, _ in pieces}))[:300],
               fix="re-ingest the source videos (their stored copies could not be decoded)")
