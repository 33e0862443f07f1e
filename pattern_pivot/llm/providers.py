"""LLM providers: any OpenAI-compatible chat endpoint, in fallback order.

Configured with ``PATTERN_PIVOT_LLM_PROVIDERS``, a JSON list such as
``[{"name": "groq", "base_url": "https://api.groq.com/openai/v1", "model": "llama-3.1-8b-instant",
"api_key_env": "GROQ_API_KEY"}]``. Keys are read from the named environment variables at call
time and never stored in config, logs or metadata.

Two rules keep a provider list from leaking secrets. ``api_key_env`` must name an API key
(``..._API_KEY``, ``..._KEY``, ``..._TOKEN``, not another service's credentials such as
``AWS_SECRET_ACCESS_KEY``), or be listed in ``PATTERN_PIVOT_LLM_KEY_VARS``. And a key is sent
only to the endpoint the operator configured it for in the environment: a provider list from
elsewhere (a run's resource config in the launchpad) may name a key only together with a
``base_url`` that ``PATTERN_PIVOT_LLM_PROVIDERS`` pairs with that key.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.remix.writers.base import WriterError

PROVIDERS_ENV = "PATTERN_PIVOT_LLM_PROVIDERS"
# Comma-separated variable names; when set, the only names api_key_env may take.
KEY_VARS_ENV = "PATTERN_PIVOT_LLM_KEY_VARS"

_KEY_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_(KEY|TOKEN)$")
# Names that end like an API key but hold credentials no LLM endpoint should ever receive:
# cloud and CI credentials, and PatternPivot's own secrets (the YouTube key).
_NOT_LLM_KEYS = re.compile(r"^(AWS|GITHUB|GH|ACTIONS|PATTERN_PIVOT)_|SECRET|PASSWORD")


class ProviderConfigError(PatternPivotError):
    """The LLM provider list is not valid JSON, misses a field, or would leak a secret."""


def allowed_key_var(name: str) -> bool:
    explicit = os.environ.get(KEY_VARS_ENV, "")
    if explicit.strip():
        return name in {n.strip() for n in explicit.split(",") if n.strip()}
    return bool(_KEY_NAME.match(name)) and not _NOT_LLM_KEYS.search(name)


def _endpoint(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    base_url: str
    model: str
    api_key_env: str | None = None  # None: the endpoint needs no key (a local server)
    timeout: float = 60.0
    max_tokens: int = 600
    temperature: float = 0.4

    def __post_init__(self) -> None:
        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise ProviderConfigError(f"LLM provider {self.name!r} base_url {self.base_url!r}",
                                      "is not an http(s) URL",
                                      "use the endpoint's OpenAI base URL, e.g. https://.../v1")
        if self.api_key_env and not allowed_key_var(self.api_key_env):
            raise ProviderConfigError(
                f"LLM provider {self.name!r} api_key_env {self.api_key_env!r}",
                "does not name an LLM API key (expected NAME_API_KEY, NAME_KEY or NAME_TOKEN, "
                "not cloud, CI or PatternPivot credentials)",
                f"put the key in a variable such as GROQ_API_KEY, or list the variable in "
                f"{KEY_VARS_ENV}")

    def check_key_destination(self) -> None:
        """Refuse to send a key where the operator's environment does not send it."""
        if not self.api_key_env:
            return
        configured = {(_endpoint(p.base_url), p.api_key_env)
                      for p in parse_providers(os.environ.get(PROVIDERS_ENV, ""))}
        if (_endpoint(self.base_url), self.api_key_env) not in configured:
            raise ProviderConfigError(
                f"LLM provider {self.name!r}",
                f"would send {self.api_key_env} to {self.base_url}, an endpoint "
                f"{PROVIDERS_ENV} does not configure for that key",
                f"add this base_url and api_key_env to {PROVIDERS_ENV} in the environment, "
                "or drop api_key_env")

    def api_key(self) -> str:
        if not self.api_key_env:
            return "not-needed"  # the client insists on some value; local servers ignore it
        self.check_key_destination()
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


def parse_providers(text: str, source: str = PROVIDERS_ENV) -> list[ProviderConfig]:
    """``source`` names where the text came from, for the error message."""
    if not text.strip():
        return []
    try:
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("not a list")
        return [ProviderConfig(**item) for item in items]
    except (ValueError, TypeError) as exc:
        raise ProviderConfigError(
            source, f"is not a JSON list of providers ({exc})",
            'set it like [{"name": "groq", "base_url": "https://.../v1", "model": "...", '
            '"api_key_env": "GROQ_API_KEY"}]') from exc
