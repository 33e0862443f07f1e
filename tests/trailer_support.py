"""Real media for the trailer tests: the shorts' talk (LibriVox and JFK speech) over
pictures that change shot every 8 s (the talking head, then the cockatoo, in turn), and a
drum loop of known tempo for the music."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import COCKATOO, TALKING_HEAD_NO_AUDIO, ffmpeg
from tests.shorts_support import talk_audio

SHOT_SECONDS = 8.0
BPM = 120.0


def cutting_talk(out: Path, rounds: int = 1) -> Path:
    """The talk's audio over shots that alternate every SHOT_SECONDS (real scene cuts)."""
    audio = talk_audio(out.with_suffix(".wav"), rounds)
    size = "scale=480:270:force_original_aspect_ratio=increase,crop=480:270,setsar=1,fps=25"
    graph = (f"[0:v]{size},trim=duration={SHOT_SECONDS}[a];"
             f"[1:v]{size},trim=duration={SHOT_SECONDS},setpts=PTS-STARTPTS[b];"
             "[a][b]concat=n=2,loop=loop=-1:size=400[v]")
    ffmpeg("-i", str(TALKING_HEAD_NO_AUDIO), "-i", str(COCKATOO), "-i", str(audio),
           "-filter_complex", graph, "-map", "[v]", "-map", "2:a", "-shortest",
           "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-c:a", "aac",
           "-b:a", "64k", str(out))
    return out


def drum_loop(out: Path, seconds: float = 70.0) -> Path:
    """A kick every beat at BPM with a soft pad under it: a steady, known beat."""
    out.parent.mkdir(parents=True, exist_ok=True)
    beat = 60.0 / BPM
    kick = (f"0.9*sin(2*PI*(50+90*exp(-mod(t,{beat})*30))*t)*exp(-mod(t,{beat})*12)"
            f"+0.08*sin(2*PI*220*t)+0.06*sin(2*PI*277*t)")
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{kick}':s=44100:d={seconds}", "-ac", "2",
           str(out))
    return out
