"""Narrate a script with the bundled Piper voice into one wav, timing each section."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from pattern_pivot.sample_channel.scripts import Script, Section
from pattern_pivot.tts.piper import load_piper_voice, synthesis_config
from pattern_pivot.tts.text import sentences

if TYPE_CHECKING:
    from piper import PiperVoice

LEAD_IN = 0.4  # seconds of silence before the first word, so the title card is seen first
SENTENCE_GAP = 0.25
SECTION_GAP = 0.8
TAIL = 0.6  # so the last word is not cut by the fade-out
# Slightly slower than the voice's default: clearer for ASR, and it lands each script in
# the 1-2 minute range.
LENGTH_SCALE = 1.08
# Piper peak-normalises every sentence to full scale; headroom keeps AAC from clipping.
VOLUME = 0.8


@dataclass(frozen=True)
class Narration:
    wav_path: Path
    sections: tuple[Section, ...]  # what was spoken (the script, possibly truncated)
    section_seconds: tuple[float, ...]  # each section's span, silences included; sums to duration
    duration: float

    @property
    def text(self) -> str:
        return "\n\n".join(section.text for section in self.sections)


def load_voice(cache_dir: Path | None = None) -> PiperVoice:
    """The bundled Piper voice, loaded once per channel (loading takes seconds)."""
    return load_piper_voice(cache_dir=cache_dir)


def narrate(voice: PiperVoice, script: Script, wav_path: Path,
            max_seconds: float | None = None) -> Narration:
    """Speak ``script`` sentence by sentence into ``wav_path`` (16-bit mono).

    With ``max_seconds`` the narration stops at the last whole sentence that fits (the first
    sentence is always kept), so tests can make tiny clips.
    """
    config = synthesis_config(LENGTH_SCALE, volume=VOLUME)  # same script, same audio
    rate = voice.config.sample_rate
    bytes_per_second = rate * 2

    def silence(seconds: float) -> bytes:
        return b"\0\0" * round(seconds * rate)

    def speak(sentence: str) -> bytes:
        return b"".join(chunk.audio_int16_bytes for chunk in voice.synthesize(sentence, config))

    pcm = bytearray(silence(LEAD_IN))
    spoken: list[Section] = []
    boundaries: list[int] = []  # byte offsets where one section's span gives way to the next
    for section in script.sections:
        kept: list[str] = []
        for sentence in sentences(section.text):
            gap = silence(SENTENCE_GAP if kept else (SECTION_GAP if spoken else 0.0))
            speech = speak(sentence)
            length = (len(pcm) + len(gap) + len(speech)) / bytes_per_second + TAIL
            if max_seconds is not None and (spoken or kept) and length > max_seconds:
                break
            if spoken and not kept:
                # Cut between cards in the middle of the pause, where the fades happen.
                boundaries.append(len(pcm) + len(gap) // 4 * 2)
            pcm += gap + speech
            kept.append(sentence)
        if kept:
            spoken.append(Section(section.heading, " ".join(kept)))
        if len(kept) < len(sentences(section.text)):
            break
    pcm += silence(TAIL)

    with wave.open(str(wav_path), "wb") as sink:
        sink.setnchannels(1)
        sink.setsampwidth(2)
        sink.setframerate(rate)
        sink.writeframes(bytes(pcm))

    edges = [0, *boundaries, len(pcm)]
    seconds = tuple((end - start) / bytes_per_second for start, end in pairwise(edges))
    return Narration(wav_path, tuple(spoken), seconds, len(pcm) / bytes_per_second)
