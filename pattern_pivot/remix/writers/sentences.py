"""Which transcript sentences a listener can follow when they are lifted out of their video.

Speech transcripts are full of pieces that only make sense in place: a phrase cut off by a
pause ("When"), a reply ("That's true."), a line that leans on the one before ("It's easy.").
A script read aloud needs complete sentences that stand on their own, without near-repeats.
"""

from __future__ import annotations

import re
from typing import Sequence

from pattern_pivot.remix.types import SourceSpan

MIN_WORDS = 5  # shorter lines are replies and filler ("That's true.", "It's easy.")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = (".", "!", "?")
# First words that point back at something the listener has not heard.
_LEANS_BACK = {"that", "this", "it", "they", "these", "those", "he", "she", "him", "her",
               "them", "and", "but", "or", "so", "also", "then", "plus", "which", "who",
               "yeah", "yes", "no", "well", "oh", "okay", "ok", "um", "uh", "right", "anyway",
               "because", "too", "finally", "first", "firstly", "second", "secondly", "third",
               "next", "lastly", "however", "therefore", "instead", "still", "besides",
               "meanwhile", "otherwise", "afterwards", "later", "again", "exactly", "sure"}
# A channel's housekeeping is not content: greetings, sign-offs, calls to subscribe.
_HOUSEKEEPING = re.compile(
    r"\b(welcome (back|to)|subscribe|thanks for watching|thank you for watching|"
    r"see you (next|in the)|in (this|today's|the next) video|let me know in the comments|"
    r"hit the (bell|like)|let's (get started|dive in|jump in))\b", re.IGNORECASE)
# Words that point at something named earlier when they appear anywhere in a short line.
_POINTERS = {"it", "its", "they", "them", "this", "that", "these", "those", "he", "she",
             "him", "her", "there"}
# Openers of a dependent clause: a sentence that starts with one needs its main clause too.
_DEPENDENT = {"when", "if", "while", "although", "though", "since", "unless", "after",
              "before", "until", "once", "whenever", "as"}
# A sentence that ends on one of these was cut off ("...and share the.").
_DANGLING_END = {"the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "with", "for",
                 "that", "which", "because", "so", "is", "are", "was", "were", "my", "your",
                 "our", "their", "his", "its", "at", "from", "by", "as", "if", "when"}
_STOPWORDS = {"the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "with", "for",
              "is", "are", "was", "were", "it", "that", "this", "you", "i", "we", "be", "as",
              "at", "by", "from", "so", "your", "my", "our", "they", "do", "can", "will"}


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("’", "'"))


def _first_word(words: list[str]) -> str:
    return words[0].split("'")[0] if words else ""


def ends_sentence(text: str) -> bool:
    return text.strip().rstrip("\"'”)»").endswith(_SENTENCE_END)


def is_complete(text: str) -> bool:
    """A whole sentence: capitalised, at least MIN_WORDS words, ending in . ! or ? and not
    on a word that needs more after it; a dependent clause needs its main clause."""
    stripped = text.strip()
    words = tokens(stripped)
    if len(words) < MIN_WORDS or not ends_sentence(stripped):
        return False
    if not (stripped[0].isupper() or stripped[0].isdigit()):
        return False
    if words[-1] in _DANGLING_END:
        return False
    return not (_first_word(words) in _DEPENDENT and "," not in stripped)


def stands_alone(text: str) -> bool:
    """Complete, not opening on a word that points back at an earlier sentence, and not
    the channel's housekeeping ("Welcome back to the kitchen.")."""
    return (is_complete(text) and _first_word(tokens(text)) not in _LEANS_BACK
            and not _HOUSEKEEPING.search(text))


def self_contained(text: str) -> bool:
    """No pronoun anywhere that needs an earlier sentence to resolve ("Feed it daily.")."""
    return not (_POINTERS & {w.split("'")[0] for w in tokens(text)})


def content_words(text: str) -> set[str]:
    return {w for w in tokens(text) if w not in _STOPWORDS}


def near_duplicate(a: str, b: str, threshold: float = 0.6) -> bool:
    """Two lines that say nearly the same (Jaccard overlap of their content words)."""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return tokens(a) == tokens(b)
    return len(wa & wb) / len(wa | wb) >= threshold


def whole_sentences(pieces: Sequence[SourceSpan], max_gap: float = 2.0) -> list[SourceSpan]:
    """Join pause-delimited pieces of one video back into sentences: a piece that does not
    end a sentence continues into the next one when it follows within ``max_gap`` seconds."""
    out: list[SourceSpan] = []
    for piece in pieces:
        prev = out[-1] if out else None
        if (prev is not None and prev.video_id == piece.video_id
                and not ends_sentence(prev.text) and 0 <= piece.start - prev.end <= max_gap):
            out[-1] = prev.model_copy(update={"end": max(prev.end, piece.end),
                                              "text": f"{prev.text.strip()} {piece.text.strip()}"})
        else:
            out.append(piece)
    return out
