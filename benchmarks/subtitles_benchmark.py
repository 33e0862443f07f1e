"""Subtitle benchmark: cue building and SRT/VTT/ASS writing for a 20-minute transcript, and
translation throughput (cues per second) for each offline backend. Prints numbers; asserts
nothing about time.

Input: the real speech in ../shared/media/speech (JFK + five LibriVox clips, ~36 s) is
transcribed once with whisper tiny.en, and its words are repeated with their own gaps until
the transcript is --minutes long.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pattern_pivot.subtitles.cues import build_cues, rule_violations
from pattern_pivot.subtitles.formats import FORMATS, write_subtitles
from pattern_pivot.subtitles.translate import (
    Apertium,
    TranslationError,
    apertium_pairs,
    translate_cues,
    translator_for,
)
from pattern_pivot.transcription.types import Word
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "media" / "speech"


def real_words() -> tuple[list[Word], float]:
    asr = FasterWhisperTranscriber("tiny.en", beam_size=1)
    words, offset = [], 0.0
    for wav in [SPEECH / "jfk" / "jfk.wav", *sorted((SPEECH / "librivox").glob("*.wav"))]:
        transcript = asr.transcribe(wav)
        words += [Word(w.start + offset, w.end + offset, w.text) for w in transcript.words]
        offset += transcript.duration + 0.5
    return words, offset


def looped(words: list[Word], length: float, seconds: float) -> list[Word]:
    out, offset = [], 0.0
    while offset + length <= seconds:
        out += [Word(w.start + offset, w.end + offset, w.text) for w in words]
        offset += length
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--translate-cues", type=int, default=200,
                        help="How many cues each translation backend gets.")
    args = parser.parse_args()
    words, length = real_words()
    long_words = looped(words, length, args.minutes * 60)
    started = time.perf_counter()
    cues = build_cues(long_words)
    built = time.perf_counter() - started
    print(f"{args.minutes:g}-minute transcript: {len(long_words)} words -> {len(cues)} cues "
          f"in {built:.2f} s; rule problems: {len(rule_violations(cues))}; cues over 17 "
          f"chars/s: {sum(c.cps > 17 for c in cues)}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            started = time.perf_counter()
            write_subtitles(cues, Path(tmp) / f"out.{fmt}")
            print(f"  write {fmt}: {time.perf_counter() - started:.2f} s")
    sample = cues[:args.translate_cues]
    for source, target in [("en", "pt"), ("en", "es"), ("pt", "en")]:
        try:
            translator = translator_for(source, target, backend="offline")
        except TranslationError as exc:
            print(f"{source}->{target}: unavailable ({exc.problem})")
            continue
        texts = sample
        if source != "en":  # translate the English sample first so the input is real
            texts = translate_cues(sample, translator_for("en", source, backend="offline"))
        translate_cues(texts[:3], translator)  # warm-up: model load
        started = time.perf_counter()
        translate_cues(texts, translator)
        seconds = time.perf_counter() - started
        print(f"{source}->{target} ({translator.name}): {len(texts)} cues in {seconds:.2f} s "
              f"= {len(texts) / seconds:.1f} cues/s")
    if ("en", "es") in apertium_pairs():  # the direct rule-based pair, for comparison
        direct = Apertium(apertium_pairs()[("en", "es")])
        started = time.perf_counter()
        translate_cues(sample, direct)
        seconds = time.perf_counter() - started
        print(f"en->es ({direct.name}, direct): {len(sample) / seconds:.1f} cues/s")


if __name__ == "__main__":
    main()
