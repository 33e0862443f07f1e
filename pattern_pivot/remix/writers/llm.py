"""A script written by a chat model over any OpenAI-compatible endpoint (LangChain chain):
draft with a hook from the retrieved segments, then N rounds of critique and rewrite, then
validated (pydantic), citations mapped back to source spans, and the length repaired in code.

Only what a provider can do to us becomes a WriterError (the fallback chain's cue to move on):
HTTP errors (429, 5xx, auth, refusals), timeouts, connection failures and replies that are
not a usable script. Anything else is a bug here and propagates.
"""

from __future__ import annotations

import json
import re

import openai
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, Field, ValidationError, field_validator

from pattern_pivot.remix.types import Script, ScriptLine, SourceSpan
from pattern_pivot.remix.writers.base import (
    ScriptBrief,
    WriterError,
    fit_lines,
    title_for,
)

_SYSTEM = ("You write short narrated video scripts from numbered source excerpts. Use only "
           "facts from the excerpts. Reply with JSON only.")
# An example for providers that follow one; with a schema-constrained reply (local models) the
# format is described instead, since small models copy an example's placeholder text.
FORMAT_EXAMPLE = ('JSON: {"title": "...", "lines": [{"text": "one spoken sentence", '
                  '"sources": [1]}]}')
FORMAT_DESCRIBED = ('Reply with a JSON object: a "title" and "lines", each line an object with '
                    'the narrator\'s "text" and the "sources" (excerpt numbers) it uses.')
DRAFT = ChatPromptTemplate.from_messages([
    ("system", _SYSTEM),
    ("human", "Topic: {topic}\nLength: about {words} words.\nExcerpts:\n{excerpts}\n\n"
              "Write the script. The first line is a hook that makes viewers stay; the last "
              "line is a short ending. Each line lists the excerpt numbers it uses. {format}"),
])
CRITIQUE = ChatPromptTemplate.from_messages([
    ("system", "You are a strict editor of short video scripts."),
    ("human", "Excerpts:\n{excerpts}\n\nScript:\n{script}\n\nIn at most three short bullet "
              "points: is the hook strong, is anything not supported by the excerpts, is it "
              "about {words} words?"),
])
REWRITE = ChatPromptTemplate.from_messages([
    ("system", _SYSTEM),
    ("human", "Excerpts:\n{excerpts}\n\nScript:\n{script}\n\nEditor's notes:\n{critique}\n\n"
              "Rewrite the script to fix the notes, about {words} words. {format}"),
])


def script_schema(brief: ScriptBrief) -> dict:
    """A JSON schema for the reply, sized to the brief: llama.cpp turns it into a grammar, so
    even a tiny model answers valid JSON, and cannot ramble past a few lines."""
    return {"type": "object", "required": ["title", "lines"], "properties": {
        "title": {"type": "string", "maxLength": 80},
        "lines": {"type": "array", "minItems": 1, "maxItems": max(2, brief.word_budget // 5),
                  "items": {"type": "object", "required": ["text", "sources"], "properties": {
                      "text": {"type": "string", "minLength": 12,
                               "maxLength": min(240, 8 * brief.word_budget)},
                      "sources": {"type": "array", "maxItems": 3, "items": {
                          "type": "integer", "minimum": 1,
                          "maximum": max(1, len(brief.segments))}}}}}}}


def provider_failure(exc: openai.APIError) -> WriterError:
    """The fallback reason for an error the OpenAI client raised (never the request, never a
    key: only the error's type and HTTP status)."""
    status = getattr(exc, "status_code", None)
    detail = type(exc).__name__ + (f" (HTTP {status})" if status else "")
    if isinstance(exc, openai.APITimeoutError):
        return WriterError("timeout", detail)
    if isinstance(exc, openai.APIConnectionError):
        return WriterError("connection", detail)
    if isinstance(exc, openai.RateLimitError):
        return WriterError("rate_limited", detail)
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return WriterError("unauthorized", detail)
    if isinstance(exc, openai.InternalServerError):
        return WriterError("server_error", detail)
    if isinstance(exc, openai.APIStatusError):  # 400, 404, 422: refused (model, context size)
        return WriterError(f"http_{status}", detail)
    return WriterError("invalid_output", detail)  # a reply the client could not read


class DraftLine(BaseModel):
    text: str = Field(min_length=1)
    sources: list[int] = Field(default_factory=list)


class DraftScript(BaseModel):
    title: str = ""
    lines: list[DraftLine] = Field(min_length=1)

    @field_validator("lines", mode="before")
    @classmethod
    def _plain_strings(cls, value):
        # Small models often answer "lines": ["...", "..."]: a line without citations.
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str) else v for v in value]
        return value


_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)]|line\s*\d+:)\s*", re.IGNORECASE)
_CITE = re.compile(r"\[(\d+)\]")
_TOKEN = re.compile(r"[a-z0-9']+")


_TEXT_FIELD = re.compile(r'"text"\s*:\s*"((?:[^"\\]|\\.)*)"(?:\s*,\s*"sources"\s*:\s*'
                         r'\[([\d,\s]*)\])?')
_JSONISH = re.compile(r'^\W*"?\w+"\s*:|[{}]')


def parse_script(text: str) -> tuple[DraftScript, bool]:
    """The model's reply as a script: its JSON when valid (True); else the "text" fields of
    broken or truncated JSON, or failing that its plain-text lines (False)."""
    match = _JSON_OBJECT.search(text)
    if match:
        try:
            return DraftScript.model_validate(json.loads(match.group(0))), True
        except (ValueError, ValidationError):
            pass
    lines = [DraftLine(text=json.loads(f'"{body}"'), sources=[int(n) for n in
                                                           re.findall(r"\d+", cites or "")])
             for body, cites in _TEXT_FIELD.findall(text) if len(body.split()) >= 3]
    if not lines:
        for raw in text.splitlines():
            line = _BULLET.sub("", raw.strip().strip('",').strip()).strip().strip('",').strip()
            if len(line.split()) >= 3 and not _JSONISH.search(line) and "```" not in line:
                lines.append(DraftLine(text=_CITE.sub("", line).strip(),
                                       sources=[int(n) for n in _CITE.findall(line)]))
    if not lines:
        raise WriterError("invalid_output", f"no script lines in the reply {text[:120]!r}")
    return DraftScript(lines=lines), False


def best_parse(replies: list[str]) -> tuple[DraftScript, bool, int]:
    """The latest reply that is valid JSON; else the latest one with usable lines (a broken
    rewrite does not throw away a good draft). Returns (script, structured, reply index)."""
    parsed = []
    for i in reversed(range(len(replies))):
        try:
            draft, structured = parse_script(replies[i])
        except WriterError:
            continue
        if structured:
            return draft, True, i
        parsed.append((draft, False, i))
    if not parsed:
        raise WriterError("invalid_output", f"no script lines in {len(replies)} replies, the "
                          f"last {replies[-1][:120]!r}")
    return parsed[0]


_PLACEHOLDERS = {"one spoken sentence", "...", "title", "text"}


def is_placeholder(text: str) -> bool:
    """Small models copy the format example into their answer."""
    return " ".join(_TOKEN.findall(text.lower())) in _PLACEHOLDERS or text.strip() in ("...",)


def _overlap(a: str, b: str) -> float:
    ta, tb = set(_TOKEN.findall(a.lower())), set(_TOKEN.findall(b.lower()))
    return len(ta & tb) / (len(ta) or 1)


def cite(line: DraftLine, segments: tuple[SourceSpan, ...]) -> tuple[SourceSpan, ...]:
    """The segments a line cites (numbers out of range dropped); a line citing none is
    attributed to the segment it shares most words with, so every line keeps a source."""
    cited = [segments[n - 1] for n in dict.fromkeys(line.sources) if 1 <= n <= len(segments)]
    if not cited:
        cited = [max(segments, key=lambda s: (_overlap(line.text, s.text), -segments.index(s)))]
    return tuple(cited)


def excerpts(brief: ScriptBrief, max_chars: int = 500) -> str:
    return "\n".join(f"[{i}] {seg.text[:max_chars]}" for i, seg in enumerate(brief.segments, 1))


class LLMWriter:
    """``llm``: a LangChain chat model (ChatOpenAI with a base_url for any compatible API)."""

    def __init__(self, name: str, llm, *, rounds: int = 1, max_segments: int = 6,
                 json_schema: bool = False):
        self.name = name
        self.llm = llm
        self.rounds = rounds
        self.max_segments = max_segments
        # Constrain script replies to script_schema (llama.cpp grammars; not every hosted
        # OpenAI-compatible API accepts a json_schema response_format).
        self.json_schema = json_schema

    def _ask(self, prompt: ChatPromptTemplate, inputs: dict, schema: dict | None = None
             ) -> str:
        """One model call. Its provider failures become WriterErrors; prompt building and
        everything after the reply is our code, outside the try."""
        messages = prompt.format_messages(**inputs)
        extra = {"extra_body": {"response_format": {
            "type": "json_schema", "json_schema": {"name": "script", "schema": schema}}}} \
            if schema else {}
        try:
            reply = self.llm.invoke(messages, **extra)
        except openai.APIError as exc:
            raise provider_failure(exc) from exc
        except (TypeError, ValueError, LookupError) as exc:
            # What the client raises for a body that is not a chat completion ({} or null
            # choices: TypeError, non-JSON: ValueError, no choices: IndexError).
            raise WriterError("invalid_output",
                              f"the reply is not a chat completion ({type(exc).__name__})"
                              ) from exc
        return StrOutputParser().invoke(reply)

    def write(self, brief: ScriptBrief) -> Script:
        # The variant's hook segment goes first, so variants open differently.
        order = [brief.hook_segment] + [i for i in range(len(brief.segments))
                                        if i != brief.hook_segment]
        order = order[:self.max_segments]
        brief = ScriptBrief(brief.request_id, brief.variant, brief.topic, brief.target_seconds,
                            tuple(brief.segments[i] for i in order),
                            tuple(brief.sentences[i] for i in order))
        inputs = {"topic": brief.topic, "words": brief.word_budget,
                  "excerpts": excerpts(brief),
                  "format": FORMAT_DESCRIBED if self.json_schema else FORMAT_EXAMPLE}
        schema = script_schema(brief) if self.json_schema else None
        script_text = self._ask(DRAFT, inputs, schema)
        replies = [script_text]
        history = [{"step": "draft", "chars": len(script_text)}]
        for n in range(self.rounds):
            critique = self._ask(CRITIQUE, {**inputs, "script": script_text})
            script_text = self._ask(REWRITE, {**inputs, "script": script_text,
                                              "critique": critique}, schema)
            replies.append(script_text)
            history.append({"step": f"critique+rewrite {n + 1}",
                            "critique": critique[:300], "chars": len(script_text)})
        draft, structured, used = best_parse(replies)
        lines = [ScriptLine(text=" ".join(d.text.split()), sources=cite(d, brief.segments))
                 for d in draft.lines if not is_placeholder(d.text)]
        if not lines:
            raise WriterError("invalid_output", "the reply only repeated the format example")
        fitted, repairs = fit_lines(lines, brief)
        return Script(request_id=brief.request_id, variant=brief.variant,
                      title=(draft.title.strip() or title_for(brief.topic))[:120],
                      lines=fitted, writer=self.name,
                      meta={"rounds": self.rounds, "steps": history,
                            "structured_output": structured, "reply_used": used,
                            "length_repair": repairs})
