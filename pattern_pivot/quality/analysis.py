"""One ffmpeg pass over a finished video that measures everything the checks need.

blackdetect and freezedetect watch the picture, ebur128 (loudness and true peak) and
silencedetect the sound, and every decode error is logged at level "error": with
``-loglevel level+info`` each log line carries its level, so one decode serves all checks.
Given the caption band, the same decode also streams a few small frames per second of that
band to stdout, each scored for burned-in captions as it arrives (``caption_pixels``).
"""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import ffprobe_json, tool
from pattern_pivot.media.loudness import Loudness, ebur128_filters, parse_ebur128
from pattern_pivot.quality.caption_pixels import (
    SAMPLES_PER_SECOND,
    BandSampler,
    CaptionBand,
    FrameCaption,
)

BLACK_PIXEL_THRESHOLD = 0.10
FREEZE_NOISE = "-60dB"
SILENCE_NOISE = "-40dB"
MIN_STRETCH = 0.5  # shorter black/frozen/silent stretches are not reported at all


@dataclass(frozen=True)
class StreamFacts:
    width: int = 0
    height: int = 0
    video_seconds: float = 0.0
    audio_seconds: float = 0.0
    container_seconds: float = 0.0
    video_codec: str = ""
    audio_codec: str = ""
    faststart: bool = False


@dataclass(frozen=True)
class Analysis:
    facts: StreamFacts
    loudness: Loudness | None
    black: tuple[tuple[float, float], ...] = ()
    frozen: tuple[tuple[float, float], ...] = ()
    silent: tuple[tuple[float, float], ...] = ()
    errors: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())  # why something could not be measured
    # The caption band scored in the pixels, one sample per 1/SAMPLES_PER_SECOND s from 0;
    # None when no caption band was given (captions not looked for).
    caption_samples: tuple[FrameCaption, ...] | None = None
    caption_sample_rate: float = SAMPLES_PER_SECOND


def _faststart(path: Path) -> bool:
    # With +faststart the moov atom comes before mdat: look at the top-level box order.
    with Path(path).open("rb") as handle:
        head = handle.read(1 << 16)
    moov, mdat = head.find(b"moov"), head.find(b"mdat")
    return moov != -1 and (mdat == -1 or moov < mdat)


def stream_facts(path: Path) -> StreamFacts:
    data = ffprobe_json(path)
    video = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), {})
    audio = next((s for s in data.get("streams", []) if s.get("codec_type") == "audio"), {})
    return StreamFacts(
        width=int(video.get("width", 0)), height=int(video.get("height", 0)),
        video_seconds=float(video.get("duration") or 0.0),
        audio_seconds=float(audio.get("duration") or 0.0),
        container_seconds=float(data.get("format", {}).get("duration") or 0.0),
        video_codec=video.get("codec_name", ""), audio_codec=audio.get("codec_name", ""),
        faststart=_faststart(path))


def _intervals(log: str, kind: str) -> tuple[tuple[float, float], ...]:
    if kind == "black":
        found = re.findall(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)", log)
        return tuple((float(a), float(b)) for a, b in found)
    starts = [float(x) for x in re.findall(rf"{kind}_start:\s*([-\d.]+)", log)]
    ends = [float(x) for x in re.findall(rf"{kind}_end:\s*([-\d.]+)", log)]
    return tuple(zip(starts, ends + [float("inf")] * (len(starts) - len(ends))))


def _run(cmd: list[str], sampler: BandSampler | None
         ) -> tuple[int, str, tuple[FrameCaption, ...]]:
    """Run the pass; band frames are scored as they stream in, stderr is collected aside."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    samples = []
    try:
        if sampler is not None:
            size = sampler.frame_bytes
            while len(raw := proc.stdout.read(size)) == size:
                samples.append(sampler.measure(raw))
        proc.stdout.read()
        code = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join()
    return code, b"".join(chunks).decode("utf-8", "replace"), tuple(samples)


def analyse(path: Path, caption_band: CaptionBand | None = None) -> Analysis:
    """Measure ``path``; an unreadable file gives an Analysis whose ``problems`` say why.

    With ``caption_band`` (where the renderer draws captions), also find captions in it."""
    path = Path(path)
    try:
        facts = stream_facts(path)
    except MediaError as exc:
        return Analysis(StreamFacts(), None, errors=(exc.problem,), problems=(exc.problem,))
    graph, maps = [], []
    sampler = (BandSampler.for_frame(caption_band, facts.width, facts.height)
               if caption_band is not None and facts.video_codec and facts.height else None)
    if facts.video_codec:
        split = "split=2[vq][vc];[vq]" if sampler else ""
        graph.append(f"[0:v]{split}blackdetect=d={MIN_STRETCH}:pix_th={BLACK_PIXEL_THRESHOLD},"
                     f"freezedetect=n={FREEZE_NOISE}:d={MIN_STRETCH}[v]")
        maps += ["-map", "[v]"]
        if sampler:
            graph.append(f"[vc]{sampler.filter_chain()}[c]")
    if facts.audio_codec:
        graph += [f"[0:a]silencedetect=n={SILENCE_NOISE}:d={MIN_STRETCH}[heard]",
                  *ebur128_filters("[heard]", "a", peak=True)]
        maps += ["-map", "[a]"]
    cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info",
           "-i", str(path.resolve()), "-filter_complex", ";".join(graph), *maps, "-f", "null",
           "-"]
    if sampler:
        cmd += ["-map", "[c]", "-f", "rawvideo", "pipe:1"]
    code, log, samples = _run(cmd, sampler)
    errors = [line for line in log.splitlines() if "[error]" in line or "[fatal]" in line]
    if code != 0 and not errors:
        errors = [f"ffmpeg exited with {code}"]
    loudness = None
    if facts.audio_codec:
        try:
            loudness = parse_ebur128(log, path)
        except MediaError:
            loudness = None
    return Analysis(facts, loudness, _intervals(log, "black"), _intervals(log, "freeze"),
                    _intervals(log, "silence"), tuple(errors[:20]),
                    caption_samples=samples if sampler else None)
