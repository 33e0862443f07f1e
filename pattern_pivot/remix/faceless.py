"""Faceless from text: the user's story split into scenes, each with a visual cue.

A scene is a sentence or a few short ones (at most ``max_words``), narrated over one visual:
footage of the catalog segment that best matches the scene (or its still), or a title card
when the catalog has nothing relevant (see ``plans.faceless_plan``).
"""

from __future__ import annotations

import re
from typing import Sequence

from pattern_pivot.remix.types import Script, ScriptLine, SourceSpan
from pattern_pivot.remix.writers.base import title_for, with_roles

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MAX_SCENE_WORDS = 30


def split_scenes(story: str, max_words: int = MAX_SCENE_WORDS) -> list[str]:
    """Paragraphs, then sentences grouped up to ``max_words``; a scene never splits a
    sentence (an overlong sentence is its own scene)."""
    scenes: list[str] = []
    for paragraph in re.split(r"\n\s*\n", story.strip()):
        current: list[str] = []
        for sentence in _SENTENCE.split(" ".join(paragraph.split())):
            if not sentence:
                continue
            if current and len(" ".join(current + [sentence]).split()) > max_words:
                scenes.append(" ".join(current))
                current = []
            current.append(sentence)
        if current:
            scenes.append(" ".join(current))
    return scenes


def story_script(request_id: str, variant: int, title: str, scenes: Sequence[str],
                 matches: Sequence[Sequence[SourceSpan]]) -> Script:
    """The story as a script: one line per scene, citing its matches best first from the
    variant's pick on (variant n leads with each scene's n-th best match, so variants differ
    in visuals; the rest stay as alternatives when a match is already shown)."""
    lines = []
    for text, found in zip(scenes, matches):
        k = (variant - 1) % len(found) if found else 0
        lines.append(ScriptLine(text=text, sources=tuple(found[k:]) + tuple(found[:k])))
    return Script(request_id=request_id, variant=variant, title=title_for(title),
                  lines=with_roles(lines), writer="story",
                  meta={"scenes": len(scenes),
                        "scenes_with_catalog_match": sum(bool(m) for m in matches)})
