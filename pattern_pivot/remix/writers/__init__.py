"""Script writers: an extractive one that needs no model, an LLM chain, and the fallback
chain that tries LLM providers in order and always ends with the extractive writer."""

from pattern_pivot.remix.writers.base import ScriptBrief, ScriptWriter, WriterError
from pattern_pivot.remix.writers.extractive import ExtractiveWriter
from pattern_pivot.remix.writers.fallback import FallbackWriter

__all__ = ["ExtractiveWriter", "FallbackWriter", "ScriptBrief", "ScriptWriter", "WriterError"]
