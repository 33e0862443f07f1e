"""Subtitle files for stored transcripts and rendered outputs, in every format and language.

Layout: ``video_subtitles/<video>/<lang>.<srt|vtt|ass>`` beside the transcript, and
``remix_video/<request>/variant-<n>.<lang>.<fmt>`` beside each rendered MP4 (made from its
``.captions.json`` words, on the output's own timeline). Files are rewritten only when the
transcript, the languages or this code change.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from pattern_pivot.media.store import MediaStore
from pattern_pivot.subtitles.cues import Cue, ReadingRules, build_cues, rule_violations
from pattern_pivot.subtitles.formats import FORMATS, check_format, write_subtitles
from pattern_pivot.subtitles.refine import refine_from_wav
from pattern_pivot.subtitles.translate import Translator, translate_cues, translator_for
from pattern_pivot.transcription.types import Word

log = logging.getLogger(__name__)

SUBTITLES_ASSET = "video_subtitles"
LANGUAGES_ENV = "PATTERN_PIVOT_SUBTITLE_LANGUAGES"  # e.g. "pt,es": translations to make
_VERSION = "2"
_CAPTIONS_FILE = re.compile(r"^variant-(\d+)\.captions\.json$")


def languages_from_env() -> list[str]:
    return [code.strip().lower() for code in os.environ.get(LANGUAGES_ENV, "").split(",")
            if code.strip()]


@dataclass(frozen=True)
class SubtitleSet:
    language: str
    cues: tuple[Cue, ...]
    files: tuple[Path, ...]
    translator: str  # "" for the original language
    cached: bool = False


def language_cues(words: Sequence[Word], source: str, targets: Sequence[str], *,
                  duration: float | None = None, cuts: Sequence[float] = (),
                  translator: Callable[[str, str], Translator] = translator_for,
                  rules: ReadingRules = ReadingRules()) -> dict[str, tuple[list[Cue], str]]:
    """The original cues and each target language's: language -> (cues, translator)."""
    original = build_cues(words, cuts=cuts, duration=duration, rules=rules)
    out = {source: (original, "")}
    for target in targets:
        if target == source or target in out:
            continue
        engine = translator(source, target)
        out[target] = (translate_cues(original, engine, rules) if original else [],
                       engine.name)
    return out


def _file_marker(path: Path) -> str:
    """What identifies a stored file's content: the fingerprint it was stored with (the same
    on every machine, where an S3 store's mirror copy has this machine's download time),
    else its size and modification time."""
    path = Path(path)
    stored = path.with_name(path.name + ".inputs")
    if stored.is_file():
        return "inputs:" + stored.read_text(encoding="utf-8").strip()
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def store_video_subtitles(store: MediaStore, video_id: str, transcript_path: Path,
                          targets: Sequence[str] = (), formats: Sequence[str] = FORMATS,
                          translator: Callable[[str, str], Translator] = translator_for,
                          audio_path: Path | None = None) -> list[SubtitleSet]:
    """Subtitle files for a stored transcript (silence gives empty, valid files); with the
    speech audio, word timings are first refined against it (see ``refine``)."""
    from pattern_pivot.transcription.types import Transcript

    formats = [check_format(f) for f in formats]
    transcript = Transcript.read_json(transcript_path)
    source = transcript.language or "en"
    transcript_fp = hashlib.sha256(Path(transcript_path).read_bytes()).hexdigest()
    if audio_path is not None:
        transcript_fp = _digest(transcript_fp, _file_marker(audio_path), "refined")
    wanted = [source] + [t for t in targets if t != source]
    names = {lang: [f"{lang}.{fmt}" for fmt in formats] for lang in wanted}
    fingerprints = {lang: _digest(transcript_fp, lang, _VERSION) for lang in wanted}
    if all(store.is_current(SUBTITLES_ASSET, video_id, n, fingerprints[lang])
           for lang in wanted for n in names[lang]):
        return [SubtitleSet(lang, (), tuple(store.path(SUBTITLES_ASSET, video_id, n)
                                            for n in names[lang]), "", True)
                for lang in wanted]
    words = transcript.words
    if audio_path is not None:
        words = refine_from_wav(words, audio_path)
    by_language = language_cues(words, source, targets,
                                duration=transcript.duration, translator=translator)
    sets = []
    for lang in wanted:
        cues, engine = by_language[lang]
        paths = []
        for fmt, name in zip(formats, names[lang]):
            with store.atomic_write(SUBTITLES_ASSET, video_id, name, fingerprints[lang]) as tmp:
                write_subtitles(cues, tmp, fmt)
            paths.append(store.path(SUBTITLES_ASSET, video_id, name))
        log.info("%s: %d %s cues%s", video_id, len(cues), lang,
                 f" via {engine}" if engine else "")
        sets.append(SubtitleSet(lang, tuple(cues), tuple(paths), engine))
    return sets


def shot_cuts(store: MediaStore, request_id: str, variant: int) -> tuple[list[float], float]:
    """(times of the cuts between shots, length) of a rendered variant's timeline, placed
    as the renderer places them (narrated shots paced to their stored narration)."""
    from pattern_pivot.render import stage as render_stage
    from pattern_pivot.render.timeline import paced, place_shots

    stored = next((s for s in render_stage.load_plans(store, request_id)
                   if s.plan.variant == variant), None)
    if stored is None:
        return [], 0.0
    narration = render_stage.stored_narration(store, stored.plan)
    placed = place_shots(paced(stored.plan, narration),
                         narration.duration if narration else 0.0)
    return [p.start for p in placed[1:]], placed[-1].end


def captioned_variants(store: MediaStore, request_id: str) -> list[int]:
    """The rendered variants of a remix request that have caption words, in order."""
    from pattern_pivot.render.stage import VIDEO_ASSET

    return sorted(int(m.group(1)) for name in store.names(VIDEO_ASSET, request_id)
                  if (m := _CAPTIONS_FILE.match(name)))


def store_output_subtitles(store: MediaStore, request_id: str, variant: int,
                           source: str = "en", targets: Sequence[str] = (),
                           formats: Sequence[str] = FORMATS,
                           translator: Callable[[str, str], Translator] = translator_for,
                           duration: float | None = None,
                           cuts: Sequence[float] = ()) -> list[SubtitleSet]:
    """``variant-<n>.<lang>.<fmt>`` beside a rendered output, from its caption words (read
    and written through the store); no cue spans one of the output's shot cuts."""
    from pattern_pivot.render.captions import read_captions_json
    from pattern_pivot.render.stage import VIDEO_ASSET

    formats = [check_format(f) for f in formats]
    stem = f"variant-{variant}"
    captions = store.path(VIDEO_ASSET, request_id, f"{stem}.captions.json")
    captions_fp = hashlib.sha256(captions.read_bytes()).hexdigest()
    by_language = language_cues(read_captions_json(captions), source, targets,
                                duration=duration, cuts=cuts, translator=translator)
    sets = []
    for lang, (cues, engine) in by_language.items():
        fingerprint = _digest(captions_fp, lang, engine, _VERSION)
        paths = []
        for fmt in formats:
            name = f"{stem}.{lang}.{fmt}"
            with store.atomic_write(VIDEO_ASSET, request_id, name, fingerprint) as tmp:
                write_subtitles(cues, tmp, fmt)
            paths.append(store.path(VIDEO_ASSET, request_id, name))
        sets.append(SubtitleSet(lang, tuple(cues), tuple(paths), engine))
    return sets


def excerpt(cues: Sequence[Cue], count: int = 6) -> str:
    """The first cues as SRT-like text, for the UI."""
    return "\n\n".join(f"{c.start:.2f} --> {c.end:.2f}\n{c.text}" for c in cues[:count])


def problems(sets: Sequence[SubtitleSet]) -> list[str]:
    return [f"{s.language}: {p}" for s in sets for p in rule_violations(s.cues)]
