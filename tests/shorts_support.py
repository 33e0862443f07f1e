"""A real talk for the shorts tests: the LibriVox reading and JFK's speech, twice over with
pauses between utterances (~75 s), laid over the real talking-head video (looped)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import JFK, LIBRIVOX, TALKING_HEAD_NO_AUDIO, ffmpeg

PAUSE_SECONDS = 0.7


def talk_audio(out: Path, rounds: int = 2) -> Path:
    utterances = [*sorted(LIBRIVOX.glob("*.wav")), JFK] * rounds
    args, labels = [], []
    for i, wav in enumerate(utterances):
        args += ["-i", str(wav)]
        labels.append(f"[a{i}]")
    pads = ";".join(f"[{i}:a]aformat=sample_rates=16000:channel_layouts=mono,"
                    f"apad=pad_dur={PAUSE_SECONDS}[a{i}]" for i in range(len(utterances)))
    graph = f"{pads};{''.join(labels)}concat=n={len(utterances)}:v=0:a=1[out]"
    ffmpeg(*args, "-filter_complex", graph, "-map", "[out]", "-ar", "16000", "-ac", "1",
           str(out))
    return out


def talk_video(out: Path, rounds: int = 2) -> Path:
    """The talk's audio over the talking head (looped), small and quick to encode."""
    audio = talk_audio(out.with_suffix(".wav"), rounds)
    ffmpeg("-stream_loop", "-1", "-i", str(TALKING_HEAD_NO_AUDIO), "-i", str(audio),
           "-map", "0:v", "-map", "1:a", "-shortest", "-c:v", "libx264", "-preset",
           "ultrafast", "-crf", "28", "-c:a", "aac", "-b:a", "64k", str(out))
    return out


def duration(path: Path) -> float:
    return float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                                 "-of", "csv=p=0", str(path)], capture_output=True, text=True,
                                check=True).stdout)
