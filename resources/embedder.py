from typing import Optional

import dagster as dg
from pydantic import PrivateAttr

from pattern_pivot.retrieval.chunking import ChunkOptions
from pattern_pivot.retrieval.embeddings import DEFAULT_EMBEDDING_MODEL, SentenceEmbedder


class EmbedderResource(dg.ConfigurableResource):
    """Sentence embeddings and the chunking that feeds them. ``model``: the bundled
    all-MiniLM-L6-v2 (384-d) or a sentence-transformers model directory (e.g. a 1024-d
    UAE-Large-V1); a new model gets its own Milvus collection. ``backend``: auto (for the
    bundled model: its fp32 ONNX export, or that export in bf16 on OpenVINO for bulk
    encodes on a CPU with native bf16; torch for a directory), onnx, bf16 or torch: one
    collection per model, whatever the backend (they compute the same vectors)."""

    model: str = DEFAULT_EMBEDDING_MODEL
    backend: str = "auto"
    batch_size: int = 64
    chunk_target_seconds: float = 30.0
    chunk_max_seconds: float = 45.0
    chunk_overlap_seconds: float = 0.0
    chunk_pause_seconds: float = 0.6

    _embedder: Optional[SentenceEmbedder] = PrivateAttr(default=None)

    def embedder(self) -> SentenceEmbedder:
        if self._embedder is None:
            self._embedder = SentenceEmbedder(self.model, batch_size=self.batch_size,
                                              backend=self.backend)
        return self._embedder

    def chunk_options(self) -> ChunkOptions:
        return ChunkOptions(target_seconds=self.chunk_target_seconds,
                            max_seconds=self.chunk_max_seconds,
                            overlap_seconds=self.chunk_overlap_seconds,
                            pause_seconds=self.chunk_pause_seconds)
