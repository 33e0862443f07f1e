"""An ordered chain of writers: on a rate limit, timeout, server error, connection failure,
missing key or unusable output (a WriterError) it switches to the next, recording why; the
extractive writer ends it. Any other exception is a bug and propagates: it must not quietly
turn into an extractive script."""

from __future__ import annotations

import logging
from typing import Sequence

from pattern_pivot.remix.types import Script
from pattern_pivot.remix.writers.base import ScriptBrief, ScriptWriter, WriterError
from pattern_pivot.remix.writers.extractive import ExtractiveWriter

log = logging.getLogger(__name__)


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
            except WriterError as exc:
                tried.append({"provider": writer.name, "reason": exc.reason,
                              "detail": exc.detail[:200]})
                log.warning("script writer %s failed (%s); trying the next one",
                            writer.name, exc.reason)
                if writer is self.writers[-1]:
                    raise
                continue
            tried.append({"provider": writer.name, "reason": "ok"})
            return script.model_copy(update={"meta": {
                **script.meta, "providers_tried": tried,
                "fell_back": len(tried) > 1, "chain": [w.name for w in self.writers]}})
        raise AssertionError("unreachable: the chain ends with the extractive writer")
