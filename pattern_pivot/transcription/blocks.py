"""Stream a long 16 kHz WAV as blocks of speech chunks for batched Whisper, so memory stays flat.

The file is read ``block_seconds`` (B) at a time plus one chunk's length of look-ahead; Silero
VAD (shipped with faster-whisper) runs on that window only, and its speech segments are packed
into chunks of at most ``chunk_seconds`` (Whisper's 30 s window), each decoded independently.
A block ends where its last whole segment ends, in a pause VAD heard: the segment that would
cross B starts the next block, so no chunk is split across blocks and every chunk but the
file's last is full. A pause between two segments of a chunk stays in its audio when it is at
most ``_KEEP_PAUSE`` long (Whisper hears speech as spoken); a longer one is dropped, leaving the
VAD's padding (about 0.8 s) of it, so the encoder spends nothing on silence. Where VAD hears no
speech (music, noise) the block ends at the quietest 100 ms.
"""

from __future__ import annotations

import bisect
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from pattern_pivot.errors import MediaError
from pattern_pivot.media.audio import SPEECH_SAMPLE_RATE

_FRAME = SPEECH_SAMPLE_RATE // 10  # 100 ms energy frames for the quietest moment
_MIN_BLOCK = 1.0  # seconds
_KEEP_PAUSE = 2.0  # seconds; longer pauses between speech segments are cut out of a chunk
# faster-whisper's batched VAD settings: split speech at pauses of 160 ms, pad each side 400 ms.
_MIN_SILENCE_MS = 160
_PAD = SPEECH_SAMPLE_RATE * 4 // 10  # VAD pads each segment with 400 ms


@dataclass(frozen=True)
class Chunk:
    """One Whisper window: ``pieces`` are (start, end) sample ranges of the block, in order,
    whose audio, joined, is what Whisper hears."""

    pieces: tuple[tuple[int, int], ...]

    @property
    def samples(self) -> int:
        return sum(end - start for start, end in self.pieces)


@dataclass(frozen=True)
class Block:
    offset: float  # seconds from the file's start
    samples: np.ndarray  # float32, every sample of the file once across blocks
    chunks: tuple[Chunk, ...]  # its speech, ready for Whisper (empty: nothing to transcribe)

    def joined(self) -> tuple[np.ndarray, list[int]]:
        """The chunks' audio back to back, and where each chunk starts in it (samples)."""
        starts, parts, at = [], [], 0
        for chunk in self.chunks:
            starts.append(at)
            parts += [self.samples[a:b] for a, b in chunk.pieces]
            at += chunk.samples
        return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), starts

    def source_seconds(self, chunk: Chunk, seconds: float, middle: float | None = None) -> float:
        """A time in the chunk's joined audio as seconds in the file. The piece is picked by
        ``middle`` when given, so a word's start and end map through the same piece."""
        ends = np.cumsum([end - start for start, end in chunk.pieces]) / SPEECH_SAMPLE_RATE
        at = seconds if middle is None else middle
        piece = min(bisect.bisect_right(list(ends), at), len(chunk.pieces) - 1)
        before = ends[piece - 1] if piece else 0.0
        start = chunk.pieces[piece][0] / SPEECH_SAMPLE_RATE
        return self.offset + start + seconds - before


def _quietest(samples: np.ndarray, lo: int, hi: int) -> int:
    """Index in [lo, hi) at the middle of the quietest 100 ms frame (the middle if too short)."""
    frames = (hi - lo) // _FRAME
    if frames < 1:
        return (lo + hi) // 2
    energy = np.square(samples[lo: lo + frames * _FRAME].reshape(frames, _FRAME)).mean(axis=1)
    return lo + int(np.argmin(energy)) * _FRAME + _FRAME // 2


def speech_segments(samples: np.ndarray, max_seconds: float) -> list[tuple[int, int]]:
    """(start, end) sample ranges Silero VAD hears as speech, padded, each at most
    ``max_seconds`` long (faster-whisper's batched settings)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps  # heavy import

    if not len(samples):
        return []
    options = VadOptions(max_speech_duration_s=max_seconds, min_silence_duration_ms=_MIN_SILENCE_MS)
    return [(int(s["start"]), int(s["end"])) for s in get_speech_timestamps(samples, options)]


def _loudness(samples: np.ndarray, at: int) -> float:
    """Mean energy of the 200 ms around ``at``: how clear a pause a cut there is in."""
    window = samples[max(0, at - _FRAME): at + _FRAME]
    return float(np.square(window).mean()) if len(window) else 0.0


def pack_chunks(samples: np.ndarray, segments: list[tuple[int, int]], max_samples: int,
                hard_max: int) -> list[list[tuple[int, int]]]:
    """Consecutive segments, in order, grouped into chunks of about ``max_samples`` of audio
    (a pause up to _KEEP_PAUSE between two segments counts, being kept). A full chunk ends at
    the clearest pause of its last fifth: a 160 ms VAD pause can be a stop inside a phrase, a
    sentence's end is better. Where the next segment is too long for that, the chunk takes it
    too, up to ``hard_max`` (Whisper's window), rather than leave a scrap; a lone segment longer
    than that (VAD caps them at it) is a chunk of its own."""
    keep = int(_KEEP_PAUSE * SPEECH_SAMPLE_RATE)
    groups: list[list[tuple[int, int]]] = []
    i = 0
    while i < len(segments):
        sizes = [segments[i][1] - segments[i][0]]  # chunk size if it ended at segment i + k
        for (_, prev_end), (start, end) in zip(segments[i:], segments[i + 1:]):
            gap = start - prev_end
            grown = sizes[-1] + (end - start) + (gap if gap <= keep else 0)
            if grown > hard_max or sizes[-1] >= max_samples:
                break
            sizes.append(grown)
        last = i + len(sizes) - 1
        if last + 1 < len(segments):  # a full chunk: end it in the clearest pause near its end
            fits = [k for k, size in enumerate(sizes) if 0.8 * max_samples <= size <= max_samples]
            fits = fits or [next((k for k, size in enumerate(sizes) if size >= 0.8 * max_samples),
                                 len(sizes) - 1)]
            last = i + min(fits, key=lambda k: (_loudness(samples, segments[i + k + 1][0]), -k))
        groups.append(segments[i:last + 1])
        i = last + 1
    return groups


def _pieces(group: list[tuple[int, int]], lo: int, hi: int) -> Chunk:
    """A chunk of ``group``'s segments, within [lo, hi), joined across pauses up to
    _KEEP_PAUSE."""
    keep = int(_KEEP_PAUSE * SPEECH_SAMPLE_RATE)
    pieces: list[list[int]] = []
    for start, end in group:
        start, end = max(start, lo), min(end, hi)
        if end <= start:
            continue
        if pieces and start - pieces[-1][1] <= keep:
            pieces[-1][1] = end
        else:
            pieces.append([start, end])
    return Chunk(tuple((a - lo, b - lo) for a, b in pieces))


def wav_seconds(wav_path: Path) -> float:
    """The WAV's length from its header (0.0 when it cannot be read: iter_speech_blocks then
    says why)."""
    try:
        with wave.open(str(wav_path), "rb") as reader:
            return reader.getnframes() / (reader.getframerate() or 1)
    except (wave.Error, EOFError, OSError):
        return 0.0


def _split(samples: np.ndarray, groups: list[list[tuple[int, int]]], limit: int,
           ) -> tuple[int, list[list[tuple[int, int]]]]:
    """Where a block ends and the chunks it holds: the chunks that end within ``limit`` (the
    first one at least, which may be longer), cut in the pause after the last of them; with
    no speech before ``limit``, at its quietest moment."""
    take = [g for g in groups if g[-1][1] <= limit] or groups[:1]
    if not take or take[0][0][0] >= limit:
        return _quietest(samples, limit // 2, limit), []
    end = take[-1][-1][1]
    if len(take) == len(groups):  # nothing after it: cut in the non-speech that follows
        return _quietest(samples, end, max(end, limit)), take
    start = groups[len(take)][0][0]
    # VAD pads segments 400 ms each side (splitting shorter pauses in the middle): the
    # pause is around the boundary.
    return _quietest(samples, end - _PAD if start - end < _FRAME else end,
                     start + _PAD if start - end < _FRAME else start), take


def iter_speech_blocks(wav_path: Path, block_seconds: float, chunk_seconds: float = 30.0,
                       vad: bool = True) -> Iterator[Block]:
    """Blocks of a 16 kHz mono 16-bit WAV, each at most ``block_seconds`` long (or one speech
    segment, up to ``chunk_seconds``, when that is longer), with their speech packed into
    chunks; together the blocks hold every sample once, in order. Without ``vad`` every
    stretch counts as speech (chunks are then cut at fixed lengths)."""
    try:
        reader = wave.open(str(wav_path), "rb")
    except (wave.Error, EOFError) as exc:
        raise MediaError(str(wav_path), f"is not a readable WAV file ({exc})",
                         "re-run the audio step (it is regenerated from the source video)") from exc
    with reader:
        if (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) != (
                SPEECH_SAMPLE_RATE, 1, 2):
            raise MediaError(str(wav_path), "is not 16 kHz mono 16-bit PCM",
                             "extract speech audio with pattern_pivot.media.audio first")
        limit = int(max(block_seconds, _MIN_BLOCK) * SPEECH_SAMPLE_RATE)
        window = limit + int(chunk_seconds * SPEECH_SAMPLE_RATE)  # look-ahead: one chunk
        buffer = np.zeros(0, dtype=np.float32)
        offset = 0
        while True:
            raw = reader.readframes(window - len(buffer))
            fresh = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
            buffer = np.concatenate([buffer, fresh]) if len(buffer) else fresh
            if not len(buffer):
                return
            chunk_max = int(min(chunk_seconds, block_seconds) * SPEECH_SAMPLE_RATE)
            segments = (speech_segments(buffer, chunk_seconds) if vad else
                        [(a, min(a + chunk_max, len(buffer)))
                         for a in range(0, len(buffer), chunk_max)])
            groups = pack_chunks(buffer, segments, chunk_max,
                                 int(chunk_seconds * SPEECH_SAMPLE_RATE))
            if len(buffer) < window and len(buffer) <= limit:  # the rest fits in one block
                cut, take, last = len(buffer), groups, True
            else:
                (cut, take), last = _split(buffer, groups, limit), False
            chunks = tuple(c for c in (_pieces(g, 0, cut) for g in take) if c.pieces)
            yield Block(offset / SPEECH_SAMPLE_RATE, buffer[:cut], chunks)
            if last:
                return
            buffer = buffer[cut:].copy()
            offset += cut
