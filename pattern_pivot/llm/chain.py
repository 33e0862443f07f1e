"""The script-writing chain: configured providers in order, then the local model (when
turned on), then the extractive writer. A provider's client is built when it is first used,
and the local server starts only when a script is actually requested from it."""

from __future__ import annotations

from typing import Sequence

from pattern_pivot.llm.local_server import LocalLLMServer
from pattern_pivot.llm.providers import ProviderConfig
from pattern_pivot.remix.types import Script
from pattern_pivot.remix.writers.base import ScriptBrief
from pattern_pivot.remix.writers.fallback import FallbackWriter
from pattern_pivot.remix.writers.llm import LLMWriter


class ProviderWriter:
    """An LLMWriter over one OpenAI-compatible provider, built on first use (a missing API
    key fails only this link of the chain)."""

    def __init__(self, config: ProviderConfig, rounds: int):
        self.config = config
        self.name = config.name
        self.rounds = rounds

    def write(self, brief: ScriptBrief) -> Script:
        return LLMWriter(self.name, self.config.chat_model(), rounds=self.rounds).write(brief)


class LocalWriter:
    """An LLMWriter over the local llama.cpp server, started on first use (whoever made the
    server stops it: ``with LocalLLMServer(...)``)."""

    def __init__(self, server: LocalLLMServer, rounds: int, max_tokens: int, timeout: float):
        self.server = server
        self.name = server.name
        self.rounds = rounds
        self.max_tokens = max_tokens
        self.timeout = timeout

    def write(self, brief: ScriptBrief) -> Script:
        config = ProviderConfig(name=self.name, base_url=self.server.start(),
                                model=self.server.model, timeout=self.timeout,
                                max_tokens=self.max_tokens)
        # llama.cpp constrains the reply to the script's JSON schema: a small model then
        # always answers parseable JSON instead of prose around a broken object.
        return LLMWriter(self.name, config.chat_model(), rounds=self.rounds,
                         json_schema=True).write(brief)


def writer_chain(providers: Sequence[ProviderConfig], local: LocalLLMServer | None = None, *,
                 rounds: int = 1, local_max_tokens: int = 400,
                 local_timeout: float = 300.0) -> FallbackWriter:
    writers: list = [ProviderWriter(p, rounds) for p in providers]
    if local is not None:
        writers.append(LocalWriter(local, rounds, local_max_tokens, local_timeout))
    return FallbackWriter(writers)
