"""Sentence embeddings, normalised for cosine search, on one of two backends.

* ``onnx``: the bundled all-MiniLM-L6-v2 as an fp32 ONNX export on onnxruntime (see
  ``onnx_export``): no torch import, loads in well under a second. Its vectors equal the
  torch model's to float rounding (cosine >= 0.99999, the same top-1 hits), so both
  backends share one model name and Milvus collection: switching needs no re-index.
* ``torch``: sentence-transformers, for the bundled model or any model directory.

``auto`` (the default) is onnx for the bundled model and torch for a model directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pattern_pivot import bundled_models
from pattern_pivot.errors import ModelError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("auto", "onnx", "torch")
ONNX_MODEL_NAME = f"{DEFAULT_EMBEDDING_MODEL} (ONNX export)"  # for messages only
BACKEND_ENV = "PATTERN_PIVOT_EMBEDDING_BACKEND"


def resolve_model_dir(name_or_path: str) -> Path:
    """The bundled model (by name) or a sentence-transformers model directory the user has."""
    if name_or_path in bundled_models.MODELS and name_or_path == DEFAULT_EMBEDDING_MODEL:
        return bundled_models.model_dir(name_or_path)
    path = Path(name_or_path).expanduser()
    if (path / "modules.json").is_file() or (path / "config.json").is_file():
        return path
    raise ModelError(
        f"embedding model {name_or_path!r}",
        "is neither the bundled all-MiniLM-L6-v2 nor a sentence-transformers model directory",
        "use all-MiniLM-L6-v2 or the path of a downloaded model (e.g. UAE-Large-V1)")


def resolve_backend(model: str, backend: str) -> str:
    if backend not in BACKENDS:
        raise ModelError(f"embedding backend {backend!r}", f"is not one of {', '.join(BACKENDS)}",
                         f"set {BACKEND_ENV} to auto, onnx or torch")
    bundled = model == DEFAULT_EMBEDDING_MODEL
    if backend == "onnx" and not bundled:
        raise ModelError(f"embedding backend onnx with model {model!r}",
                         "is only built for the bundled all-MiniLM-L6-v2",
                         f"set {BACKEND_ENV}=torch (or auto) for a model directory")
    if backend == "auto":
        # Same vectors either way (see onnx_export); ONNX loads without torch.
        return "onnx" if bundled else "torch"
    return backend


class SentenceEmbedder:
    """Encodes texts into unit-length vectors, in batches, on the CPU."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, *, batch_size: int = 64,
                 backend: str = "auto"):
        self.model_name = model
        self.batch_size = batch_size
        self.backend = resolve_backend(model, backend)
        self._dir = resolve_model_dir(model) if self.backend == "torch" else None
        self._model = None

    def _load(self):
        if self._model is None and self.backend == "onnx":
            from pattern_pivot.retrieval.onnx_embedder import OnnxMiniLM

            self._model = OnnxMiniLM(batch_size=self.batch_size)
        elif self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a weight-loading bar per run is noise in logs

            self._model = SentenceTransformer(str(self._dir), device="cpu")
        return self._model

    @property
    def name(self) -> str:
        """Identifies the vector space: the model name (both backends compute the bundled
        model's vectors), or the directory name for a path."""
        if self.backend == "onnx":
            return DEFAULT_EMBEDDING_MODEL
        return self.model_name if self.model_name == DEFAULT_EMBEDDING_MODEL else self._dir.name

    @property
    def dimension(self) -> int:
        if self.backend == "onnx":
            return self._load().dimension
        return int(self._load().get_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.backend == "onnx":
            return self._load().encode(list(texts))
        vectors = self._load().encode(texts, batch_size=self.batch_size,
                                      normalize_embeddings=True, convert_to_numpy=True,
                                      show_progress_bar=False)
        return vectors.astype(np.float32, copy=False)
