"""An ordered chain of writers: on a rate limit, timeout, server error, connection failure
or unusable output it switches to the next, recording why; the extractive writer ends it."""

from __future__ import annotations

import logging
from typing import Sequence

from pattern_pivot.remix.types import Script
from pattern_pivot.remix.writers.base import ScriptBrief, ScriptWriter, WriterError
from pattern_pivot.remix.writers.extractive import ExtractiveWriter

log = logging.getLogger(__name__)


def classify(exc: Exception) -> str:
    """A short reason for leaving a provider (never the request, never a key)."""
    if isinstance(exc, WriterError):
        return exc.reason
    import openai

    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.InternalServerError):
        return "server_error"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.APIStatusError):
        return f"http_{exc.status_code}"
    return "error"


def _detail(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    text = f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")
    return text if not isinstance(exc, WriterError) else exc.detail[:200]


class FallbackWriter:
    def __init__(self, writers: Sequence[ScriptWriter]):
        writers = list(writers)
        if not writers or not isinstance(writers[-1], ExtractiveWriter):
            writers.append(ExtractiveWriter())
        self.writers = writers

    @property
    def name(self) -> str:
        return " -> ".join(w.name for w in self.writers)

    def write(self, brief: ScriptBrief) -> Script:
        tried: list[dict] = []
        for writer in self.writers:
            try:
                script = writer.write(brief)
            except Exception as exc:  # noqa: BLE001 - every failure moves to the next writer
                reason = classify(exc)
                tried.append({"provider": writer.name, "reason": reason,
                              "detail": _detail(exc)})
                log.warning("script writer %s failed (%s); trying the next one",
                            writer.name, reason)
                if writer is self.writers[-1]:
                    raise
                continue
            tried.append({"provider": writer.name, "reason": "ok"})
            return script.model_copy(update={"meta": {
                **script.meta, "providers_tried": tried,
                "fell_back": len(tried) > 1, "chain": [w.name for w in self.writers]}})
        raise AssertionError("unreachable: the chain ends with the extractive writer")
