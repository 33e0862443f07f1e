"""Keep secrets out of anything the report shows: error messages may quote a URL with its
key, a header or a whole environment, and the report is stored, shown in the UI and may be
sent to an LLM."""

from __future__ import annotations

import os
import re
from typing import Mapping

MASK = "[redacted]"
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
MIN_SECRET_CHARS = 8  # shorter values ("1", "true") would blank out ordinary words
# Secrets that look like secrets wherever they come from (not only this environment).
_PATTERNS = (
    re.compile(r"(?i)([?&](?:key|api_key|apikey|access_token|token|sig)=)[^&\s'\"]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"()\bsk-[A-Za-z0-9_-]{16,}"),
    re.compile(r"()\bAIza[A-Za-z0-9_-]{30,}"),  # Google API keys (YouTube)
    re.compile(r"(?i)((?:api[_-]?key|token|secret|password)\s*[=:]\s*['\"]?)[^\s'\",;&]{8,}"),
)


def environment_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Values of environment variables whose names say they hold a secret, longest first
    (so a key that contains another is masked whole)."""
    environ = os.environ if environ is None else environ
    values = {v for k, v in environ.items() if _SECRET_NAME.search(k)
              and len(v.strip()) >= MIN_SECRET_CHARS}
    return tuple(sorted(values, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text
