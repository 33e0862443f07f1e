"""Titles and key phrases from the configured LLM providers, in order, falling through on
anything a provider can do to us (rate limits, 5xx, timeouts, a missing key, an unreadable
reply) as the script chain does; None when none answered, and the copy stays extractive.
Whatever a model writes still goes through the same limits and repairs."""

from __future__ import annotations

import json
import logging
import re
from typing import Callable, Sequence

from pattern_pivot.llm.providers import ProviderConfig
from pattern_pivot.remix.writers.base import WriterError

log = logging.getLogger(__name__)
TitleWriter = Callable[[str, str], "tuple[list[str], list[str], str] | None"]

_SYSTEM = "You write YouTube titles for short videos, using only what the video says. JSON only."
_HUMAN = ("Topic: {topic}\nWhat the video says:\n{text}\n\nReply with JSON: "
          '{{"titles": [three different titles, each under 70 characters], '
          '"keyphrases": [up to six 1-3 word phrases the video is about]}}')


def parse_reply(reply: str) -> tuple[list[str], list[str]] | None:
    match = re.search(r"\{.*\}", reply, re.S)
    try:
        data = json.loads(match.group(0)) if match else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    titles = [t.strip() for t in data.get("titles", []) if isinstance(t, str) and t.strip()]
    phrases = [p.strip() for p in data.get("keyphrases", []) if isinstance(p, str) and
               p.strip()]
    return (titles[:3], phrases[:6]) if titles else None


def llm_title_writer(providers: Sequence[ProviderConfig]) -> TitleWriter | None:
    """A title writer over ``providers`` (None when none is configured)."""
    if not providers:
        return None

    def write(topic: str, text: str):
        import openai
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate

        from pattern_pivot.remix.writers.llm import provider_failure

        prompt = ChatPromptTemplate.from_messages([("system", _SYSTEM), ("human", _HUMAN)])
        for provider in providers:
            try:
                chain = prompt | provider.chat_model() | StrOutputParser()
                reply = chain.invoke({"topic": topic or "(none given)", "text": text[:3000]})
            except WriterError as exc:
                log.warning("copy writer %s: %s; trying the next", provider.name, exc.reason)
                continue
            except openai.APIError as exc:
                log.warning("copy writer %s: %s; trying the next", provider.name,
                            provider_failure(exc).reason)
                continue
            parsed = parse_reply(reply)
            if parsed is None:
                log.warning("copy writer %s: unreadable reply; trying the next", provider.name)
                continue
            return parsed[0], parsed[1], provider.name
        return None

    return write
