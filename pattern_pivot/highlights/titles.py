"""A highlight's title: a short phrase in the speaker's own words (its hook sentence),
trimmed at a word boundary."""

from __future__ import annotations

MAX_TITLE_CHARS = 60


def title_from(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    words = text.strip().split()
    out = ""
    for word in words:
        if len(out) + len(word) + (1 if out else 0) > limit:
            break
        out = f"{out} {word}" if out else word
    if not out and words:  # one very long word
        out = words[0][:limit]
    trimmed = len(out) < len(" ".join(words))
    out = out.rstrip(",;:-–—")
    if trimmed:
        out = out.rstrip(".!?") + "…"
    return out[:1].upper() + out[1:]
