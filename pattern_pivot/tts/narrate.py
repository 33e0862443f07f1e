"""Speak a narration into one WAV, sentence by sentence, timed onto the video's timeline.

Each cue is (earliest start, text): a shot's narration starts with its shot unless the
previous line is still being spoken. Sentences are synthesised one at a time and appended to
the WAV as they come, so a long script never sits in memory. The WAV is then normalised to a
fixed loudness, and word timings come from the synthesis (estimated) or from aligning the
script with what local Whisper hears (``align="asr"``).
"""

from __future__ import annotations

import json
import os
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.media.loudness import normalise_wav
from pattern_pivot.transcription.types import Transcriber, Word
from pattern_pivot.tts.align import align, estimate_words, heard_words, matched_fraction
from pattern_pivot.tts.engines import SpeechEngine, TTSConfig
from pattern_pivot.tts.text import sentences

TAIL = 0.3  # seconds of silence after the last word, so the fade never clips it
# A line's shot lasts at least this long (a shorter shot reads as a glitch), so the next
# line waits at least this long after the previous one started.
MIN_LINE_SECONDS = 1.5


@dataclass(frozen=True)
class NarrationResult:
    wav_path: Path
    duration: float
    words: tuple[Word, ...]
    sentences: tuple[tuple[float, float, str], ...]  # (start, end, text)
    engine: str
    timing_source: str  # "asr" or "synthesis"
    stats: dict = field(default_factory=dict)
    lines: tuple[tuple[float, float], ...] = ()  # (start, end) of each cue, in order

    def to_dict(self) -> dict:
        return {"duration": self.duration, "engine": self.engine,
                "timing_source": self.timing_source, "stats": self.stats,
                "lines": [list(x) for x in self.lines],
                "sentences": [list(s) for s in self.sentences],
                "words": [{"start": w.start, "end": w.end, "text": w.text, "prob": w.prob}
                          for w in self.words]}

    def write_json(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")

    @classmethod
    def read(cls, wav_path: Path, json_path: Path) -> "NarrationResult":
        data = json.loads(Path(json_path).read_text(encoding="utf-8"))
        return cls(wav_path=Path(wav_path), duration=data["duration"],
                   words=tuple(Word(**w) for w in data["words"]),
                   sentences=tuple(tuple(s) for s in data["sentences"]),
                   engine=data["engine"], timing_source=data["timing_source"],
                   stats=data.get("stats", {}),
                   lines=tuple(tuple(x) for x in data.get("lines", ())))


def narrate(engine: SpeechEngine, cues: list[tuple[float, str]], wav_path: Path,
            config: TTSConfig = TTSConfig(), transcriber: Transcriber | None = None
            ) -> NarrationResult:
    """Speak ``cues`` into ``wav_path`` (16-bit mono WAV at the engine's rate). A cue starts
    at its time, or as soon as the previous line (and the sentence pause) is over, but never
    sooner than MIN_LINE_SECONDS after the previous cue started."""
    cues = [(start, text.strip()) for start, text in cues if text and text.strip()]
    if not cues:
        raise PatternPivotError("narration", "has no text to speak",
                                "give the script or the shots some narration text")
    wav_path = Path(wav_path)
    rate = engine.sample_rate
    estimated: list[Word] = []
    spoken: list[tuple[float, float, str]] = []
    lines: list[tuple[float, float]] = []
    fd, raw_name = tempfile.mkstemp(prefix=".raw-", suffix=".wav", dir=wav_path.parent)
    os.close(fd)
    raw = Path(raw_name)
    try:
        with wave.open(str(raw), "wb") as sink:
            sink.setnchannels(1)
            sink.setsampwidth(2)
            sink.setframerate(rate)
            written = 0  # samples so far
            for cue_start, text in cues:
                if lines:
                    cue_start = max(cue_start, lines[-1][0] + MIN_LINE_SECONDS)
                line_start = None
                for i, sentence in enumerate(sentences(text)):
                    pause = config.sentence_pause if written else 0.0
                    start = max(written / rate + pause, cue_start if i == 0 else 0.0)
                    gap = round(start * rate) - written
                    sink.writeframes(b"\0\0" * gap)
                    written += gap
                    samples = engine.synthesize(sentence)
                    if engine.sample_rate != rate:  # espeak reports its rate on first use
                        raise PatternPivotError(engine.name, "changed sample rate mid-narration",
                                                "use one voice for the whole narration")
                    sink.writeframes(samples.astype("<i2").tobytes())
                    estimated += estimate_words(sentence, samples, rate, written / rate)
                    spoken.append((round(written / rate, 3),
                                   round((written + len(samples)) / rate, 3), sentence))
                    line_start = spoken[-1][0] if line_start is None else line_start
                    written += len(samples)
                if line_start is not None:
                    lines.append((line_start, round(written / rate, 3)))
            sink.writeframes(b"\0\0" * round(TAIL * rate))
            written += round(TAIL * rate)
        measured = normalise_wav(raw, wav_path, config.loudness_lufs, rate)
    finally:
        raw.unlink(missing_ok=True)
    words_, source = estimated, "synthesis"
    stats = {"input_lufs": round(measured.integrated, 2), "target_lufs": config.loudness_lufs}
    if config.align == "asr" and transcriber is not None:
        words_ = align(estimated, heard_words(wav_path, transcriber))
        source = "asr"
        stats["asr_matched_fraction"] = round(matched_fraction(words_), 3)
    return NarrationResult(wav_path, round(written / rate, 3), tuple(words_), tuple(spoken),
                           engine.name, source, stats, tuple(lines))
