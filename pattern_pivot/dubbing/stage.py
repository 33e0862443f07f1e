"""A dubbed MP4 for a media file and translated cues, and the stored one per video and
language: ``video_dub/<video>/<lang>.mp4`` (the picture, the dubbed sound at -14 LUFS),
``<lang>.voice.wav`` (the new voice alone, a stem for editors) and ``<lang>.dub.json``
(the voice and where every line landed: speed-ups, spills, delays)."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from pattern_pivot.dubbing.mix import (
    CONTROL_RATE,
    DUCK_DB,
    duck_envelope,
    mux,
    speech_rms,
    write_envelope,
)
from pattern_pivot.dubbing.timing import DubTiming, fit_lines
from pattern_pivot.dubbing.voices import Speaker, espeak_speaker
from pattern_pivot.errors import MediaError
from pattern_pivot.media.probe import probe
from pattern_pivot.media.store import MediaStore
from pattern_pivot.subtitles.cues import Cue

log = logging.getLogger(__name__)

DUB_ASSET = "video_dub"
NO_SPEECH = "no speech to dub: the MP4 keeps the original sound"
_VERSION = "1"


@dataclass(frozen=True)
class DubResult:
    video: Path
    voice_wav: Path
    report: Path
    language: str
    voice: str  # the espeak-ng voice that spoke
    timing: DubTiming
    input_lufs: float | None  # the mix before normalising to -14 LUFS; None: silent
    message: str = ""  # set when there was nothing to dub
    cached: bool = False

    def to_dict(self) -> dict:
        return {"language": self.language, "voice": self.voice, "message": self.message,
                "input_lufs": self.input_lufs, **self.timing.to_dict()}


def dub_media(source: Path, cues: Sequence[Cue], language: str, voice: str, out: Path,
              *, speak: Speaker | None = None, duck_db: float = DUCK_DB) -> DubResult:
    """``out`` (MP4), ``out``.voice.wav and ``out``.dub.json, written atomically."""
    info = probe(source)
    if info.duration <= 0:
        raise MediaError(str(source), "has no duration", "give a playable video or audio file")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    log.info("dubbing %d cues into %s (espeak-ng %s)", len(cues), language, voice)
    voice_wav, report = _beside(out, ".voice.wav"), _beside(out, ".dub.json")
    with tempfile.TemporaryDirectory(prefix="pp-dub-", dir=out.parent) as tmp:
        timing = fit_lines(cues, info.duration, speak or espeak_speaker(voice),
                           Path(tmp) / "voice.wav")
        # The new voice at the level of the speech it replaces (its own level if none).
        speech = speech_rms(source, timing.lines, info.duration) \
            if info.audio and timing.lines else 0.0
        gain = float(np.clip(speech / timing.voice_rms, 0.1, 10.0)) \
            if speech and timing.voice_rms else 1.0
        envelope = duck_envelope(timing.lines, round(info.duration * CONTROL_RATE) + 1,
                                 duck_db=duck_db)
        write_envelope(envelope, Path(tmp) / "envelope.wav")
        log.info("mixing and encoding %.0f s at -14 LUFS", info.duration)
        measured = mux(source, Path(tmp) / "voice.wav", Path(tmp) / "envelope.wav",
                       Path(tmp) / "out.mp4", info.duration, language,
                       has_video=info.video is not None, has_audio=info.audio is not None,
                       voice_gain=gain)
        result = DubResult(out, voice_wav, report, language, voice, timing,
                           round(measured.integrated, 2) if not measured.silent else None,
                           "" if timing.lines else NO_SPEECH)
        (Path(tmp) / "dub.json").write_text(json.dumps(result.to_dict(), ensure_ascii=False,
                                                       indent=1), encoding="utf-8")
        for name, target in (("out.mp4", out), ("voice.wav", voice_wav), ("dub.json", report)):
            (Path(tmp) / name).replace(target)
    if not timing.lines:
        log.warning("%s: %s", source, NO_SPEECH)
    return result


def _beside(out: Path, suffix: str) -> Path:
    return out.with_name(out.name.removesuffix(".mp4") + suffix)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def stored_source(store: MediaStore, video_id: str) -> tuple[Path, str]:
    """The stored source_video file of a video and its fingerprint."""
    folder = store.path("source_video", video_id, "probe.json").parent
    for path in sorted(folder.glob("source.*")) if folder.is_dir() else []:
        marker = path.with_name(path.name + ".inputs")
        if not path.name.endswith(".inputs") and marker.is_file():
            return path, marker.read_text(encoding="utf-8").strip()
    raise MediaError(str(folder / "source.*"), "does not exist yet",
                     f"materialise source_video for partition {video_id} first")


def store_video_dub(store: MediaStore, video_id: str, language: str, voice: str,
                    cues: Sequence[Cue], cues_fingerprint: str, *,
                    duck_db: float = DUCK_DB) -> DubResult:
    """``video_dub/<video>/<lang>.mp4`` and its stem and report; redone only when the
    source, the cues, the voice or the mix change."""
    source, source_fp = stored_source(store, video_id)
    fingerprint = _digest(source_fp, cues_fingerprint, voice, f"{duck_db:g}", _VERSION)
    names = [f"{language}.mp4", f"{language}.voice.wav", f"{language}.dub.json"]
    paths = [store.path(DUB_ASSET, video_id, n) for n in names]
    if all(store.is_current(DUB_ASSET, video_id, n, fingerprint) for n in names):
        return stored_result(paths, json.loads(paths[2].read_text(encoding="utf-8")))
    folder = paths[0].parent
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{language}-", dir=folder) as tmp:
        made = dub_media(source, cues, language, voice, Path(tmp) / names[0], duck_db=duck_db)
        for name, produced in zip(names, (made.video, made.voice_wav, made.report)):
            with store.atomic_write(DUB_ASSET, video_id, name, fingerprint) as target:
                produced.replace(target)
    return replace(made, video=paths[0], voice_wav=paths[1], report=paths[2])


def stored_result(paths: list[Path], data: dict) -> DubResult:
    """A stored dub (mp4, voice wav, report) read back from its report."""
    from pattern_pivot.dubbing.timing import DubLine

    lines = tuple(DubLine(**{k: x[k] for k in ("cue_start", "cue_end", "start", "end",
                                                 "tempo", "text")})
                  for x in data["line_timings"])
    timing = DubTiming(lines, data["duration"], 0, data["cut_at_end"])
    return DubResult(paths[0], paths[1], paths[2], data["language"], data["voice"], timing,
                     data["input_lufs"], data["message"], cached=True)
