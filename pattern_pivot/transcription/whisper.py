"""faster-whisper (CTranslate2) transcription with word timestamps and VAD.

The WAV is read in blocks cut in real pauses (see ``blocks``), so memory stays flat however
long the video is; faster-whisper itself would decode the whole file into memory. The language
is detected on the first block and kept for the rest. Blocks are transcribed independently:
prompting a block with the previous block's text let Whisper copy that text into a short block
(a loop of an earlier sentence), and the loop depended on the CPU's int8 kernels. Whisper's own
guards are on (temperature fallback on repetitive or improbable output, skipping hallucinated
text in long silences) and ``repetition`` drops any sentence Whisper still repeats.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pattern_pivot.bundled_models import whisper_model_dir
from pattern_pivot.media.audio import SPEECH_SAMPLE_RATE
from pattern_pivot.transcription.blocks import iter_wav_blocks
from pattern_pivot.transcription.repetition import RepeatFilter
from pattern_pivot.transcription.types import Segment, Transcript, Word

# Bump when the way blocks are cut or decoded changes, so cached transcripts are redone.
_METHOD = "pause-blocks,no-prompt,guards:1"
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


class FasterWhisperTranscriber:
    """Local Whisper via faster-whisper; ``model`` is a bundled size or a model directory."""

    def __init__(self, model: str = "base", *, compute_type: str = "int8", cpu_threads: int = 0,
                 beam_size: int = 5, vad_filter: bool = True, language: str | None = None,
                 block_seconds: float = 120.0, cache_dir: Path | None = None):
        self.model_name = model
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads or os.cpu_count() or 1
        self.beam_size = beam_size
        self.vad_filter = vad_filter
        self.language = language or None
        self.block_seconds = block_seconds
        self._model_dir = whisper_model_dir(model, cache_dir)
        self._model = None

    @property
    def name(self) -> str:
        return f"faster-whisper:{self.model_name}"

    @property
    def fingerprint(self) -> str:
        """Changes whenever the same audio could transcribe differently."""
        return (f"{self._model_dir.name}|{self.compute_type}|beam={self.beam_size}"
                f"|vad={self.vad_filter}|lang={self.language}|block={self.block_seconds}"
                f"|{_METHOD}")

    def _load(self):
        if self._model is None:
            from faster_whisper import WhisperModel  # heavy import, only when transcribing

            self._model = WhisperModel(str(self._model_dir), device="cpu",
                                       compute_type=self.compute_type,
                                       cpu_threads=self.cpu_threads)
        return self._model

    def transcribe(self, wav_path: Path) -> Transcript:
        model = self._load()
        started = time.perf_counter()
        language, language_probability = self.language, 1.0 if self.language else 0.0
        segments: list[Segment] = []
        repeats = RepeatFilter()
        total = 0.0
        blocks = 0
        for offset, samples in iter_wav_blocks(Path(wav_path), self.block_seconds):
            blocks += 1
            total = offset + len(samples) / SPEECH_SAMPLE_RATE
            pieces, info = model.transcribe(
                samples, language=language, beam_size=self.beam_size, word_timestamps=True,
                vad_filter=self.vad_filter, **_GUARDS)
            for piece in pieces:
                words = whole_words(piece.words or (), offset)
                kept = repeats.keep(words)
                if kept:
                    text = (piece.text.strip() if len(kept) == len(words)
                            else " ".join(w.text for w in kept))
                    segments.append(Segment(start=kept[0].start, end=kept[-1].end,
                                            text=text, words=tuple(kept)))
            if language is None:
                language, language_probability = info.language, float(info.language_probability)
        elapsed = time.perf_counter() - started
        if not segments:  # silence: whatever language detection guessed means nothing
            language, language_probability = self.language, 1.0 if self.language else 0.0
        return Transcript(
            language=language or "unknown", language_probability=round(language_probability, 4),
            duration=round(total, 3), segments=tuple(segments), model=self.name,
            stats={"seconds": round(elapsed, 3), "blocks": blocks,
                   "real_time_factor": round(elapsed / total, 4) if total else 0.0,
                   "repeats_dropped": repeats.dropped, "fingerprint": self.fingerprint})
