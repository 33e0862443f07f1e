"""An optional plain-words summary of the report by the first configured LLM provider that
answers (the same fallback order as the script writers). Without providers, or when all of
them fail, the report simply has no summary: nothing here is needed to read it."""

from __future__ import annotations

import logging
from typing import Sequence

import openai

from pattern_pivot.health.redact import redact
from pattern_pivot.health.report import HealthReport
from pattern_pivot.llm.providers import ProviderConfig
from pattern_pivot.remix.writers.base import WriterError
from pattern_pivot.remix.writers.llm import provider_failure

log = logging.getLogger(__name__)

_SYSTEM = ("You summarise a data platform's run-health report for the person who runs it. "
           "In at most 4 short sentences: what broke, how often, and what to do first. "
           "Use only facts from the report.")


def summarise(report: HealthReport, providers: Sequence[ProviderConfig],
              secrets: tuple[str, ...] = ()) -> HealthReport:
    """The report with ``summary`` filled in by the first provider that answers; unchanged
    when all is well (nothing to summarise), without providers, or when every one fails."""
    if report.all_well or not providers:
        return report
    text = report.markdown()  # already redacted: built from redacted records
    for provider in providers:
        try:
            reply = provider.chat_model().invoke([("system", _SYSTEM), ("human", text)]).content
        except (openai.APIError, WriterError, ValueError, TypeError) as exc:
            failure = provider_failure(exc) if isinstance(exc, openai.APIError) else exc
            log.warning("run-health summary: %s failed (%s); trying the next", provider.name,
                        getattr(failure, "reason", type(exc).__name__))
            continue
        if str(reply).strip():
            report.summary = redact(str(reply).strip(), secrets)
            report.summarised_by = provider.name
            return report
    return report
