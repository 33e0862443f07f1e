import os
from contextlib import ExitStack, contextmanager
from typing import Callable, Iterator

import dagster as dg

from pattern_pivot.llm.chain import writer_chain
from pattern_pivot.llm.local_server import LocalLLMServer
from pattern_pivot.llm.providers import PROVIDERS_ENV, parse_providers
from pattern_pivot.remix.writers.fallback import FallbackWriter
from pattern_pivot.subtitles.translate import translator_for


class LLMResource(dg.ConfigurableResource):
    """Script writing. The default (nothing configured) is the deterministic extractive
    writer: no model, no key. ``providers_json``: OpenAI-compatible endpoints in fallback
    order (keys come from the environment variables they name, and go only to the endpoints
    PATTERN_PIVOT_LLM_PROVIDERS configures them for). ``local_model``:
    ``qwen2.5-0.5b-instruct`` (bundled), ``smollm2-135m-instruct`` (tests) or a .gguf path,
    served on 127.0.0.1 by llama.cpp in this process, after the providers. The extractive
    writer always ends the chain."""

    providers_json: str = ""
    local_model: str = ""
    rounds: int = 1  # critique-and-rewrite rounds after the draft
    local_threads: int = 1
    local_max_tokens: int = 400
    local_timeout_seconds: float = 300.0

    @contextmanager
    def writer(self) -> Iterator[FallbackWriter]:
        """The chain; a local server it started is stopped on exit."""
        # Name where the JSON came from: the environment, or the launchpad's run config.
        source = PROVIDERS_ENV if self.providers_json == os.environ.get(PROVIDERS_ENV, "") \
            else "llm resource providers_json (run config)"
        providers = parse_providers(self.providers_json, source)
        for provider in providers:  # fail the run before any request, not at the first key
            provider.check_key_destination()
        with ExitStack() as stack:
            local = stack.enter_context(LocalLLMServer(self.local_model,
                                                       threads=self.local_threads)) \
                if self.local_model else None
            yield writer_chain(providers, local, rounds=self.rounds,
                               local_max_tokens=self.local_max_tokens,
                               local_timeout=self.local_timeout_seconds)

    @contextmanager
    def translators(self, backend: str = "auto") -> Iterator[Callable]:
        """``translator(source, target)`` for subtitles and dubs (``backend``: auto, offline
        or llm): offline pairs first, then the providers, then the local model (served only
        if a pair needs it, stopped on exit)."""
        parsed: list = []

        def providers() -> list:
            # Read only when a language needs translating: a bad LLM setting must not fail
            # the subtitles (and so the ingest) of a channel that translates nothing.
            if not parsed and backend != "offline":
                parsed.append(parse_providers(self.providers_json))
            return parsed[0] if parsed else []

        with ExitStack() as stack:
            local = stack.enter_context(LocalLLMServer(self.local_model,
                                                       threads=self.local_threads)) \
                if self.local_model and backend != "offline" else None
            yield lambda source, target: translator_for(source, target, backend=backend,
                                                        providers=providers(), local=local)
