"""faster-whisper (CTranslate2) transcription with word timestamps, batched over VAD chunks.

The WAV is read in blocks whose speech VAD has packed into chunks of up to 30 s, cut in real
pauses (see ``blocks``), so memory stays flat however long the video is (faster-whisper itself
would decode the whole file, and its VAD and features, at once). Each block's chunks go through
faster-whisper's ``BatchedInferencePipeline``, ``batch_size`` at a time: one encoder pass for
several windows, which on a CPU beats the sequential decoder's 30 s windows with seek overlap.
The language is detected on the first block and kept for the rest. Chunks are decoded
independently, unprompted: prompting with earlier text let Whisper copy it into a short chunk
(a loop of an earlier sentence), depending on the CPU's int8 kernels.

Whisper's guards, applied per chunk: a chunk Whisper hears as silence with improbable text is
dropped; a chunk whose text compresses too well (a loop) or is too improbable is decoded again
alone by the sequential decoder, with its temperature fallback. On top, a sentence that fails
Whisper's hallucination test is dropped wherever it is, and ``repetition`` drops any sentence
Whisper still repeats.
"""

from __future__ import annotations

import copy
import hashlib
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from pattern_pivot.bundled_models import whisper_model_dir
from pattern_pivot.media.audio import SPEECH_SAMPLE_RATE
from pattern_pivot.transcription.blocks import Block, iter_speech_blocks, wav_seconds
from pattern_pivot.transcription.glossary import apply_glossary
from pattern_pivot.transcription.repetition import RepeatFilter, sentences
from pattern_pivot.transcription.types import Segment, Transcript, Word
from pattern_pivot.transcription.voice import frame_levels, trim_to_voice

_PUNCTUATION = "\"'“¿([{-.。,，!！?？:：”)]}、"
# Bump when the way blocks are cut or decoded changes, so cached transcripts are redone.
_METHOD = "vad-chunks,batched,seek-rest,voice-trim,guards,seed:3"
# Decoding guards (faster-whisper's defaults for the first three, named here on purpose):
# retry at higher temperature when a window's text compresses too well (a loop) or is too
# improbable; drop windows Whisper itself hears as silence; and (in a redone chunk) skip over
# silences longer than this many seconds around a word run that looks hallucinated.
# Seconds of a chunk left after its last word that are decoded again, and how many times.
_REST, _SEEKS = 2.0, 3
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
                 batch_size: int = 4, cache_dir: Path | None = None):
        self.model_name = model
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads or os.cpu_count() or 1
        self.beam_size = beam_size
        self.vad_filter = vad_filter
        self.language = language or None
        self.block_seconds = block_seconds  # audio read, VAD-ed and batched at a time
        # Chunks per encoder/decoder pass. On a CPU 4 is as fast as 8, and the encoder's
        # attention memory grows with it: a block (120 s) holds about one batch of 30 s windows.
        self.batch_size = batch_size
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
                f"|batch={self.batch_size}"
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
        """``progress(seconds transcribed, seconds of audio)`` is called as chunks come in (it
        throttles itself, see pattern_pivot.progress)."""
        from faster_whisper import BatchedInferencePipeline  # heavy import, only when used

        model = self._load()
        # A pipeline per call: it carries word-timing state from one batch to the next.
        pipeline = BatchedInferencePipeline(model)
        audio_seconds = wav_seconds(Path(wav_path))
        started = time.perf_counter()
        run = _Run(self.language)
        total = 0.0
        blocks = chunks = 0
        for block in iter_speech_blocks(Path(wav_path), self.block_seconds, vad=self.vad_filter):
            blocks += 1
            chunks += len(block.chunks)
            total = block.offset + len(block.samples) / SPEECH_SAMPLE_RATE
            if block.chunks:
                self._transcribe_block(model, pipeline, block, run, progress, audio_seconds)
            if progress:
                progress(min(total, audio_seconds), audio_seconds)
        elapsed = time.perf_counter() - started
        language, language_probability = run.language, run.language_probability
        if not run.segments:  # silence: whatever language detection guessed means nothing
            language, language_probability = self.language, 1.0 if self.language else 0.0
        return apply_glossary(Transcript(
            language=language or "unknown", language_probability=round(language_probability, 4),
            duration=round(total, 3), segments=tuple(run.segments), model=self.name,
            stats={"seconds": round(elapsed, 3), "blocks": blocks, "chunks": chunks,
                   "batch_size": self.batch_size,
                   "real_time_factor": round(elapsed / total, 4) if total else 0.0,
                   "chunks_redone": run.redone, "repeats_dropped": run.repeats.dropped,
                   "hallucinations_dropped": run.hallucinations,
                   "fingerprint": self.fingerprint}),
            self.glossary)  # what Whisper still heard close to a term, spelled as the term

    def _transcribe_block(self, model, pipeline, block: Block, run: "_Run", progress,
                          audio_seconds: float) -> None:
        """Every chunk of ``block`` in batches. Unprompted, without timestamps, Whisper may end
        a window early, at a pause: what is left of a chunk after its last word (more than
        _REST seconds) is decoded again, as sequential Whisper seeks on from the last
        timestamp. A span whose text fails Whisper's quality test is decoded again alone, with
        temperature fallback."""
        import ctranslate2  # loaded with the model, by then

        audio, starts = block.joined()
        rate = SPEECH_SAMPLE_RATE
        hotwords = ", ".join(self.glossary) or None
        heard: list[list[Word]] = [[] for _ in block.chunks]  # per chunk, chunk-relative times
        spans = [(k, 0.0, c.samples / rate) for k, c in enumerate(block.chunks)]
        for _ in range(_SEEKS):
            if not spans:
                break
            # clip_timestamps are seconds that faster-whisper turns back into samples with
            # int(): half a sample in, so each clip starts and ends on its own samples.
            clips = [{"start": (starts[k] + round(lo * rate) + 0.5) / rate,
                      "end": (starts[k] + round(hi * rate) + 0.5) / rate} for k, lo, hi in spans]
            ctranslate2.set_random_seed(0)
            results, info = pipeline.transcribe(
                audio, language=run.language, beam_size=self.beam_size, word_timestamps=True,
                clip_timestamps=clips, batch_size=self.batch_size, hotwords=hotwords,
                without_timestamps=True)
            if run.language is None:
                run.language, run.language_probability = (info.language,
                                                          float(info.language_probability))
            # Each clip yields one segment whose ``seek`` is its start in 10 ms frames (its
            # start is its first word's, which may round to before the clip).
            by_seek = {int(c["start"] * model.frames_per_second): i for i, c in enumerate(clips)}
            ends = {}  # per span: where its last word ends
            for result in results:
                index = by_seek[result.seek]
                k, lo, hi = spans[index]
                ends.setdefault(index, lo)
                if _is_silence(result):
                    run.hallucinations += 1
                    continue
                words = whole_words(result.words or (), -starts[k] / rate)
                if _failed(result):  # a loop or gibberish: Whisper's own remedy, on this span
                    run.redone += 1
                    here = audio[starts[k] + round(lo * rate): starts[k] + round(hi * rate)]
                    ctranslate2.set_random_seed(0)
                    again, _ = model.transcribe(
                        here, language=run.language, beam_size=self.beam_size,
                        word_timestamps=True, vad_filter=False, hotwords=hotwords, **_GUARDS)
                    words = whole_words([w for seg in again for w in seg.words or ()], lo)
                    ends[index] = hi  # the sequential decoder sought to the end itself
                heard[k] += words
                if words:
                    ends[index] = max(ends[index], words[-1].end)
            spans = [(k, ends.get(i, lo), hi) for i, (k, lo, hi) in enumerate(spans)
                     if hi - ends.get(i, lo) > _REST]
        levels = frame_levels(block.samples, rate)
        for chunk, words in zip(block.chunks, heard):
            placed = [replace(w, start=round(block.source_seconds(chunk, w.start, mid), 3),
                              end=round(block.source_seconds(chunk, w.end, mid), 3))
                      for w in words for mid in [(w.start + w.end) / 2]]
            run.add(trim_to_voice(placed, levels, block.offset))
            if progress and run.segments:
                progress(min(run.segments[-1].end, audio_seconds), audio_seconds)


def _is_silence(result) -> bool:
    """Whisper's no-speech rule: it heard silence, and its text is improbable."""
    return (result.no_speech_prob > _GUARDS["no_speech_threshold"]
            and result.avg_logprob < _GUARDS["log_prob_threshold"])


def _failed(result) -> bool:
    """Whisper's test for a window to decode again at a higher temperature."""
    return (result.compression_ratio > _GUARDS["compression_ratio_threshold"]
            or result.avg_logprob < _GUARDS["log_prob_threshold"])


class _Run:
    """What one transcription has kept so far."""

    def __init__(self, language: str | None):
        self.language = language
        self.language_probability = 1.0 if language else 0.0
        self.segments: list[Segment] = []
        self.repeats = RepeatFilter()
        self.hallucinations = 0
        self.redone = 0

    def add(self, words: list[Word]) -> None:
        """A chunk's words, as one segment per sentence, less hallucinations and loops."""
        for sentence in sentences(words):
            if looks_hallucinated(sentence):
                self.hallucinations += 1
                continue
            kept = self.repeats.keep(sentence)
            if kept:
                self.segments.append(Segment(start=kept[0].start, end=kept[-1].end,
                                             text=" ".join(w.text for w in kept),
                                             words=tuple(kept)))
