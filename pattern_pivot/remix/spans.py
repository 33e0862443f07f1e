"""Cut points on word and pause boundaries, from the stored transcript's word timings.

A cut placed inside a word (or right on its edge) clips speech; a cut in the middle of the
silence between two words sounds clean. Spans are therefore widened into the surrounding
pauses (at most ``pad`` seconds) and, when trimmed to fit, end where a sentence ends or the
speaker pauses.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from pattern_pivot.ingest import TRANSCRIPT, TRANSCRIPT_NAME
from pattern_pivot.media.store import MediaStore
from pattern_pivot.quality.checks import MAX_SILENCE
from pattern_pivot.remix.types import SourceSpan
from pattern_pivot.transcription.types import Transcript, Word

_SENTENCE_END = (".", "?", "!", "…", '."', '?"', '!"')
PAUSE_SECONDS = 0.35
PAD_SECONDS = 0.25
# A pause longer than this inside a supercut piece is cut out (it would read as dead air).
# The pause is Whisper's gap between words, and Whisper runs word edges up to ~0.2 s into a
# pause: on the sample narration a 1.00 s silence measured 0.80 s. At 0.8 such a pause stayed
# in the piece and failed the render's no_dead_air check (more than MAX_SILENCE, 1 s, of
# silence) whenever the voice paused a little longer; 0.4 s under the check leaves room.
MAX_INNER_PAUSE = MAX_SILENCE - 0.4

# video id -> its transcript, or None when it is not available (spans stay as retrieved)
TranscriptLookup = Callable[[str], "Transcript | None"]


def store_transcripts(media: MediaStore) -> TranscriptLookup:
    """Transcripts as the `video_transcript` asset stored them, read once per video."""

    @lru_cache(maxsize=256)
    def lookup(video_id: str) -> Transcript | None:
        path = media.path(TRANSCRIPT, video_id, TRANSCRIPT_NAME)
        marker = Path(str(path) + ".inputs")
        if not path.is_file() or not marker.is_file():
            return None
        return Transcript.read_json(path)

    return lookup


def _is_boundary(words: Sequence[Word], i: int) -> bool:
    if i == len(words) - 1 or words[i].text.rstrip().endswith(_SENTENCE_END):
        return True
    return words[i + 1].start - words[i].end >= PAUSE_SECONDS


def words_in(words: Sequence[Word], start: float, end: float) -> tuple[int, int] | None:
    """Indices (first, last) of the words that lie mostly inside [start, end]."""
    inside = [i for i, w in enumerate(words) if (w.start + w.end) / 2 >= start - 0.01
              and (w.start + w.end) / 2 <= end + 0.01]
    return (inside[0], inside[-1]) if inside else None


def sentence_ranges(words: Sequence[Word], first: int, last: int) -> list[tuple[int, int]]:
    """(first, last) word indices of each sentence (or pause-delimited phrase) in a range."""
    ranges, a = [], first
    for i in range(first, last + 1):
        if _is_boundary(words, i) or i == last:
            ranges.append((a, i))
            a = i + 1
    return ranges


def span_of(video_id: str, words: Sequence[Word], first: int, last: int, *,
            duration: float | None = None, score: float | None = None,
            pad: float = PAD_SECONDS) -> SourceSpan:
    """The span from word ``first`` to word ``last``, widened into the pauses around them."""
    start = words[first].start - pad
    if first > 0:
        start = max(start, (words[first - 1].end + words[first].start) / 2)
    end = words[last].end + pad
    if last + 1 < len(words):
        end = min(end, (words[last].end + words[last + 1].start) / 2)
    if duration:
        end = min(end, duration)
    text = " ".join(w.text.strip() for w in words[first:last + 1])
    return SourceSpan(video_id=video_id, start=round(max(0.0, start), 3), end=round(end, 3),
                      text=text, score=score)


def snap(span: SourceSpan, transcript: Transcript | None,
         max_seconds: float | None = None) -> SourceSpan | None:
    """``span`` on clean boundaries: starting where a sentence starts (or after a pause) and
    ending where one ends (or at a pause), trimmed to at most ``max_seconds``. None when no
    such cut lies inside the span: a cut inside a phrase garbles the words around it."""
    if transcript is None:
        if max_seconds and span.duration > max_seconds:
            return span.model_copy(update={"end": round(span.start + max_seconds, 3)})
        return span
    words = [w for w in transcript.words if w.text.strip()]
    found = words_in(words, span.start, span.end)
    if found is None:
        return None
    first, last = found
    first = next((i for i in range(first, last + 1) if i == 0 or _is_boundary(words, i - 1)),
                 None)
    if first is None:
        return None
    limit = (max_seconds or float("inf")) - 2 * PAD_SECONDS
    ends = [i for i in range(first, last + 1)
            if _is_boundary(words, i) and words[i].end - words[first].start <= limit]
    if not ends:
        return None
    return span_of(span.video_id, words, first, ends[-1], duration=transcript.duration,
                   score=span.score)


def tighten(span: SourceSpan, transcript: Transcript | None,
            max_pause: float = MAX_INNER_PAUSE, min_piece: float = 1.0) -> list[SourceSpan]:
    """``span`` split at every pause longer than ``max_pause`` inside it, each piece padded
    into the pause as a cut is: the long silence goes, the words stay (a jump cut, as
    creators edit). Pieces shorter than ``min_piece`` stay joined to their neighbour."""
    if transcript is None:
        return [span]
    words = [w for w in transcript.words if w.text.strip()]
    found = words_in(words, span.start, span.end)
    if found is None:
        return [span]
    first, last = found
    breaks = [i for i in range(first, last) if words[i + 1].start - words[i].end > max_pause]
    pieces, a = [], first
    for i in [*breaks, last]:
        piece = span_of(span.video_id, words, a, i, duration=transcript.duration,
                        score=span.score)
        if pieces and (piece.duration < min_piece or pieces[-1].duration < min_piece):
            joined = pieces.pop()
            piece = joined.model_copy(update={"end": piece.end,
                                              "text": f"{joined.text} {piece.text}"})
        pieces.append(piece)
        a = i + 1
    # The outer edges stay where the cut put them (the first and last words' padding).
    pieces[0] = pieces[0].model_copy(update={"start": span.start})
    pieces[-1] = pieces[-1].model_copy(update={"end": span.end})
    return pieces


def sentences_of(span: SourceSpan, transcript: Transcript | None) -> list[SourceSpan]:
    """The sentences of ``span``, each with its own timing (or the span whole when no
    transcript is available)."""
    if transcript is None:
        return [span]
    words = [w for w in transcript.words if w.text.strip()]
    found = words_in(words, span.start, span.end)
    if found is None:
        return [span]
    return [span_of(span.video_id, words, a, b, duration=transcript.duration, score=span.score)
            for a, b in sentence_ranges(words, *found)]
