"""faster-whisper (CTranslate2) transcription with word timestamps and VAD.

The WAV is read in blocks cut in real pauses (see ``blocks``), so memory stays flat however
long the video is; faster-whisper itself would decode the whole file into memory. The language
is detected on the first block and kept for the rest. Blocks are transcribed independently:
prompting a block with the previous block's text let Whisper copy that text into a short block
(a loop of an earlier sentence), and the loop depended on the CPU's int8 kernels. Whisper's own
guards are on (temperature fallback on repetitive or improbable output, skipping hallucinated
text in long silences); on top, a segment that fails Whisper's hallucination test is dropped
wherever it is, and ``repetition`` drops any sentence Whisper still repeats.
"""

from __future__ import annotations

import copy
import hashlib
import os
import time
from pathlib import Path
from typing import Callable, Sequence

from pattern_pivot.bundled_models import whisper_model_dir
from pattern_pivot.media.audio import SPEECH_SAMPLE_RATE
from pattern_pivot.transcription.blocks import iter_wav_blocks, wav_seconds
from pattern_pivot.transcription.glossary import apply_glossary
from pattern_pivot.transcription.repetition import RepeatFilter
from pattern_pivot.transcription.types import Segment, Transcript, Word

_PUNCTUATION = "\"'“¿([{-.。,，!！?？:：”)]}、"
# Bump when the way blocks are cut or decoded changes, so cached transcripts are redone.
_METHOD = "pause-blocks,no-prompt,guards,seed:2"
# Decoding guards (faster-whisper's defaults for the first three, named here on purpose):
# retry at higher temperature when a window's text compresses too well (a loop) or is too
# improbable; drop windows Whisper itself hears as silence; and skip over silences longer than
# this many seconds around a word run that looks hallucinated (needs word timestamps).
_GUARDS = dict(compression_ratio_threshold=2.4, log_prob_threshold=-1.0,
               no_speech_threshold=0.6, hallucination_silence_threshold=2.0,
               condition_on_previous_text=False)


def whole_words(pieces, offset: float) -> list[Word]:
    """Our words from faster-whisper's, ``offset`` seconds later. Whisper splits a hyphenated
    word before the hyphen (" re", "-use"); a piece that starts with "-" right after a word (no
    space: a spaced dash comes as " -") is glued back, so "re-use" stays one word."""
    words: list[Word] = []
    for piece in pieces:
        text = piece.word.strip()
        if not text:
            continue
        word = Word(start=round(offset + float(piece.start), 3),
                    end=round(offset + float(piece.end), 3),
                    text=text, prob=round(float(piece.probability), 4))
        if words and piece.word.startswith("-"):
            last = words[-1]
            word = Word(start=last.start, end=word.end, text=last.text + word.text,
                        prob=min(last.prob, word.prob))
            words.pop()
        words.append(word)
    return words


def looks_hallucinated(words: list[Word]) -> bool:
    """Whisper's own test for a hallucinated segment (openai-whisper, faster-whisper), which
    they apply only next to long silences: its first words are mostly improbable or too short
    or too long to be speech, like a lone 20 ms "Music" at a block's edge."""
    def anomaly(word: Word) -> float:
        duration = word.end - word.start
        return ((word.prob < 0.15) + max(0.0, 0.133 - duration) * 15
                + max(0.0, duration - 2.0))

    first = [w for w in words if w.text.strip(_PUNCTUATION)][:8]
    score = sum(anomaly(w) for w in first)
    return bool(first) and (score >= 3 or score + 0.01 >= len(first))


def _terms(terms: Sequence[str]) -> tuple[str, ...]:
    """Stripped, non-empty, each once, in order."""
    return tuple(dict.fromkeys(t.strip() for t in terms if t and t.strip()))


class FasterWhisperTranscriber:
    """Local Whisper via faster-whisper; ``model`` is a bundled size or a model directory."""

    def __init__(self, model: str = "base", *, compute_type: str = "int8", cpu_threads: int = 0,
                 beam_size: int = 5, vad_filter: bool = True, language: str | None = None,
                 block_seconds: float = 120.0, glossary: Sequence[str] = (),
                 cache_dir: Path | None = None):
        self.model_name = model
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads or os.cpu_count() or 1
        self.beam_size = beam_size
        self.vad_filter = vad_filter
        self.language = language or None
        self.block_seconds = block_seconds
        # Channel terms (names, jargon) Whisper should spell as given: faster-whisper's
        # ``hotwords``, a hint before every 30 s window that biases toward them.
        self.glossary = _terms(glossary)
        self._model_dir = whisper_model_dir(model, cache_dir)
        self._loaded: dict = {}  # shared with with_glossary() copies: one model in memory

    def with_glossary(self, terms: Sequence[str]) -> "FasterWhisperTranscriber":
        """This transcriber (same loaded model) with ``terms`` added to its glossary."""
        other = copy.copy(self)
        other.glossary = _terms([*self.glossary, *terms])
        return other

    @property
    def name(self) -> str:
        return f"faster-whisper:{self.model_name}"

    @property
    def fingerprint(self) -> str:
        """Changes whenever the same audio could transcribe differently."""
        return (f"{self._model_dir.name}|{self.compute_type}|beam={self.beam_size}"
                f"|vad={self.vad_filter}|lang={self.language}|block={self.block_seconds}"
                f"|{_METHOD}{self._glossary_mark}")

    @property
    def _glossary_mark(self) -> str:
        if not self.glossary:
            return ""
        return "|glossary=" + hashlib.sha256("\n".join(self.glossary).encode()).hexdigest()[:16]

    def _load(self):
        if "model" not in self._loaded:
            from faster_whisper import WhisperModel  # heavy import, only when transcribing

            self._loaded["model"] = WhisperModel(str(self._model_dir), device="cpu",
                                                 compute_type=self.compute_type,
                                                 cpu_threads=self.cpu_threads)
        return self._loaded["model"]

    def transcribe(self, wav_path: Path,
                   progress: Callable[[float, float], None] | None = None) -> Transcript:
        """``progress(seconds transcribed, seconds of audio)`` is called as segments come
        in (it throttles itself, see pattern_pivot.progress)."""
        import ctranslate2  # loaded with the model, by then

        model = self._load()
        audio_seconds = wav_seconds(Path(wav_path))
        started = time.perf_counter()
        language, language_probability = self.language, 1.0 if self.language else 0.0
        segments: list[Segment] = []
        repeats = RepeatFilter()
        hallucinations = 0
        total = 0.0
        blocks = 0
        for offset, samples in iter_wav_blocks(Path(wav_path), self.block_seconds):
            blocks += 1
            total = offset + len(samples) / SPEECH_SAMPLE_RATE
            # Whisper's fallback samples at higher temperatures: seeded, a block transcribes
            # the same way every time on a given CPU.
            ctranslate2.set_random_seed(0)
            pieces, info = model.transcribe(
                samples, language=language, beam_size=self.beam_size, word_timestamps=True,
                vad_filter=self.vad_filter, hotwords=", ".join(self.glossary) or None,
                **_GUARDS)
            for piece in pieces:
                words = whole_words(piece.words or (), offset)
                if looks_hallucinated(words):
                    hallucinations += 1
                    continue
                kept = repeats.keep(words)
                if kept:
                    text = (piece.text.strip() if len(kept) == len(words)
                            else " ".join(w.text for w in kept))
                    segments.append(Segment(start=kept[0].start, end=kept[-1].end,
                                            text=text, words=tuple(kept)))
                if progress:
                    progress(min(offset + piece.end, audio_seconds), audio_seconds)
            if progress:
                progress(min(total, audio_seconds), audio_seconds)
            if language is None:
                language, language_probability = info.language, float(info.language_probability)
        elapsed = time.perf_counter() - started
        if not segments:  # silence: whatever language detection guessed means nothing
            language, language_probability = self.language, 1.0 if self.language else 0.0
        return apply_glossary(Transcript(
            language=language or "unknown", language_probability=round(language_probability, 4),
            duration=round(total, 3), segments=tuple(segments), model=self.name,
            stats={"seconds": round(elapsed, 3), "blocks": blocks,
                   "real_time_factor": round(elapsed / total, 4) if total else 0.0,
                   "repeats_dropped": repeats.dropped,
                   "hallucinations_dropped": hallucinations, "fingerprint": self.fingerprint}),
            self.glossary)  # what Whisper still heard close to a term, spelled as the term
