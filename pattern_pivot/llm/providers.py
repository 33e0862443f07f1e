"""LLM providers: any OpenAI-compatible chat endpoint, in fallback order.

Configured with ``PATTERN_PIVOT_LLM_PROVIDERS``, a JSON list such as
``[{"name": "groq", "base_url": "https://api.groq.com/openai/v1", "model": "llama-3.1-8b-instant",
"api_key_env": "GROQ_API_KEY"}]``. Keys are read from the named environment variables at call
time and never stored in config, logs or metadata.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.remix.writers.base import WriterError

PROVIDERS_ENV = "PATTERN_PIVOT_LLM_PROVIDERS"


class ProviderConfigError(PatternPivotError):
    """The LLM provider list is not valid JSON or misses a field."""


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    base_url: str
    model: str
    api_key_env: str | None = None  # None: the endpoint needs no key (a local server)
    timeout: float = 60.0
    max_tokens: int = 600
    temperature: float = 0.4

    def api_key(self) -> str:
        if not self.api_key_env:
            return "not-needed"  # the client insists on some value; local servers ignore it
        key = os.environ.get(self.api_key_env, "")
        if not key:
            raise WriterError("not_configured",
                              f"environment variable {self.api_key_env} is not set")
        return key

    def chat_model(self):
        """A LangChain ChatOpenAI for this endpoint: no client-side retries, since the
        fallback chain decides what happens after a 429, a timeout or a 5xx."""
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        return ChatOpenAI(model=self.model, base_url=self.base_url,
                          api_key=SecretStr(self.api_key()), timeout=self.timeout,
                          max_retries=0, max_tokens=self.max_tokens,
                          temperature=self.temperature)


def parse_providers(text: str) -> list[ProviderConfig]:
    if not text.strip():
        return []
    try:
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("not a list")
        return [ProviderConfig(**item) for item in items]
    except (ValueError, TypeError) as exc:
        raise ProviderConfigError(
            PROVIDERS_ENV, f"is not a JSON list of providers ({exc})",
            'set it like [{"name": "groq", "base_url": "https://.../v1", "model": "...", '
            '"api_key_env": "GROQ_API_KEY"}]') from exc


def providers_from_env() -> list[ProviderConfig]:
    return parse_providers(os.environ.get(PROVIDERS_ENV, ""))
