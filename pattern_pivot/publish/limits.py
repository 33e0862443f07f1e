"""YouTube's documented limits on a video's metadata, and the repairs that keep copy inside them.

Every number here is YouTube's, not ours; each cites where it is documented:

- Title: at most 100 characters, no ``<`` or ``>``. YouTube Data API v3, videos resource,
  ``snippet.title``: https://developers.google.com/youtube/v3/docs/videos#snippet.title
  ("maximum length of 100 characters and may contain all valid UTF-8 characters except
  < and >").
- Description: at most 5000 *bytes* (UTF-8), no ``<`` or ``>``. Same page,
  ``snippet.description``: https://developers.google.com/youtube/v3/docs/videos#snippet.description
- Tags: their total length at most 500 characters, where a comma between tags counts and a
  tag containing a space counts the quotation marks around it. Same page, ``snippet.tags[]``:
  https://developers.google.com/youtube/v3/docs/videos#snippet.tags[]
- Hashtags: with more than 60, YouTube ignores *all* hashtags of the video; only the first
  three show above the title. YouTube Help, "Use hashtags for YouTube videos":
  https://support.google.com/youtube/answer/6390658
- Chapters: the first timestamp is 0:00, at least three timestamps in ascending order, each
  chapter at least 10 seconds long. YouTube Help, "Video chapters":
  https://support.google.com/youtube/answer/9884579 (also quoted in YouTube's announcement,
  https://9to5google.com/2020/05/28/youtube-video-chapters/).
- Custom thumbnail: 1280x720 recommended, under 2 MB, JPG/GIF/PNG. YouTube Help, "Add video
  thumbnails": https://support.google.com/youtube/answer/72431, and thumbnails.set
  ("Maximum file size: 2MB"): https://developers.google.com/youtube/v3/docs/thumbnails/set
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500
HASHTAGS_MAX = 60  # more than this and YouTube ignores every hashtag of the video
HASHTAGS_SHOWN = 3  # only the first three appear above the title
CHAPTERS_MIN = 3
CHAPTER_MIN_SECONDS = 10.0
THUMBNAIL_SIZE = (1280, 720)
THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024

FORBIDDEN = str.maketrans({"<": "‹", ">": "›"})  # look-alikes keep the sense of the text
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Chapter:
    start: float  # seconds
    title: str


class MetadataLimitError(ValueError):
    """Copy that YouTube would refuse or silently ignore."""


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).translate(FORBIDDEN)


def repair_title(title: str, fallback: str = "Untitled remix") -> str:
    """A title YouTube accepts: one line, no ``<``/``>`` (replaced by look-alikes), at most
    100 characters, cut at a word boundary with an ellipsis when too long."""
    text = " ".join(_clean(title).split()) or fallback
    if len(text) <= TITLE_MAX_CHARS:
        return text
    cut = text[:TITLE_MAX_CHARS - 1]
    if " " in cut and not text[TITLE_MAX_CHARS - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"


def repair_description(text: str) -> str:
    """No ``<``/``>``; at most 5000 UTF-8 bytes, cut at a line or word boundary."""
    text = _clean(text).replace("\r", "")
    data = text.encode("utf-8")
    if len(data) <= DESCRIPTION_MAX_BYTES:
        return text
    cut = data[:DESCRIPTION_MAX_BYTES - len("…".encode())].decode("utf-8", errors="ignore")
    for sep in ("\n", " "):
        if sep in cut[len(cut) // 2:]:
            cut = cut.rsplit(sep, 1)[0]
            break
    return cut.rstrip() + "…"


def tag_cost(tag: str) -> int:
    """A tag's share of the 500-character budget: quoted when it contains a space."""
    return len(tag) + (2 if " " in tag else 0)


def tags_length(tags: list[str]) -> int:
    return sum(tag_cost(t) for t in tags) + max(0, len(tags) - 1)  # commas between tags


def repair_tags(tags: list[str]) -> list[str]:
    """Unique (case-insensitively), cleaned tags, in order, dropping those past the budget."""
    kept: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        tag = " ".join(_clean(tag).replace(",", " ").split()).strip("#")
        if not tag or tag.lower() in seen:
            continue
        if tags_length(kept + [tag]) > TAGS_MAX_CHARS:
            continue  # a shorter later tag may still fit
        kept.append(tag)
        seen.add(tag.lower())
    return kept


def hashtag(text: str) -> str:
    """``#CamelCase`` of the words: a hashtag has no spaces or punctuation."""
    words = re.findall(r"[^\W_]+", text)
    return "#" + "".join(w[:1].upper() + w[1:] for w in words) if words else ""


def repair_hashtags(tags: list[str], limit: int = HASHTAGS_SHOWN) -> list[str]:
    """Unique hashtags, at most ``limit`` (never over YouTube's 60)."""
    out: list[str] = []
    for tag in tags:
        tag = hashtag(tag.lstrip("#"))
        if tag and tag.lower() not in {t.lower() for t in out}:
            out.append(tag)
    return out[:min(limit, HASHTAGS_MAX)]


def count_hashtags(text: str) -> int:
    return len(re.findall(r"(?<![\w&])#[^\W_][\w]*", text))


def chapters_valid(chapters: list[Chapter], duration: float) -> bool:
    """YouTube's chapter rules: starts at 0:00, at least three, ascending, each >= 10 s."""
    if len(chapters) < CHAPTERS_MIN or chapters[0].start != 0:
        return False
    ends = [c.start for c in chapters[1:]] + [duration]
    return all(end - c.start >= CHAPTER_MIN_SECONDS for c, end in zip(chapters, ends))


def fit_chapters(chapters: list[Chapter], duration: float) -> list[Chapter]:
    """Merge chapters shorter than 10 s into their predecessor; [] when YouTube's rules cannot
    be met (a short output has no chapters)."""
    merged: list[Chapter] = []
    for chapter in sorted(chapters, key=lambda c: c.start):
        if not merged:
            merged.append(Chapter(0.0, chapter.title))
        elif chapter.start - merged[-1].start >= CHAPTER_MIN_SECONDS:
            merged.append(chapter)
    while len(merged) > 1 and duration - merged[-1].start < CHAPTER_MIN_SECONDS:
        merged.pop()
    return merged if chapters_valid(merged, duration) else []


def timestamp(seconds: float) -> str:
    total = int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def validate(title: str, description: str, tags: list[str]) -> list[str]:
    """Every way the metadata breaks YouTube's limits (empty when it is fine)."""
    problems = []
    if not title.strip():
        problems.append("the title is empty")
    if len(title) > TITLE_MAX_CHARS:
        problems.append(f"the title has {len(title)} characters (YouTube allows "
                        f"{TITLE_MAX_CHARS})")
    for name, text in (("title", title), ("description", description)):
        if "<" in text or ">" in text:
            problems.append(f"the {name} contains < or >, which YouTube refuses")
    size = len(description.encode("utf-8"))
    if size > DESCRIPTION_MAX_BYTES:
        problems.append(f"the description is {size} bytes (YouTube allows "
                        f"{DESCRIPTION_MAX_BYTES})")
    if tags_length(tags) > TAGS_MAX_CHARS:
        problems.append(f"the tags total {tags_length(tags)} characters (YouTube allows "
                        f"{TAGS_MAX_CHARS})")
    hashtags = count_hashtags(title) + count_hashtags(description)
    if hashtags > HASHTAGS_MAX:
        problems.append(f"{hashtags} hashtags: over {HASHTAGS_MAX} YouTube ignores them all")
    return problems
