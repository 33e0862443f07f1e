"""Typed transcript values. Times are seconds (floats) everywhere."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Protocol


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    prob: float = 1.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    language: str
    language_probability: float
    duration: float  # seconds of audio transcribed
    segments: tuple[Segment, ...]
    model: str
    # How it was made: seconds spent, real-time factor, blocks, options.
    stats: dict = field(default_factory=dict)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def word_count(self) -> int:
        return len(self.words)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["text"] = self.text
        data["words"] = [asdict(w) for w in self.words]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Transcript":
        segments = tuple(
            Segment(start=s["start"], end=s["end"], text=s["text"],
                    words=tuple(Word(**w) for w in s.get("words", ())))
            for s in data["segments"])
        return cls(language=data["language"], language_probability=data["language_probability"],
                   duration=data["duration"], segments=segments, model=data["model"],
                   stats=data.get("stats", {}))

    def write_json(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1),
                              encoding="utf-8")

    @classmethod
    def read_json(cls, path: Path) -> "Transcript":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


class Transcriber(Protocol):
    """Turns a 16 kHz mono WAV into a transcript with word timestamps."""

    @property
    def name(self) -> str: ...

    def transcribe(self, wav_path: Path,
                   progress: Callable[[float, float], None] | None = None) -> Transcript: ...
