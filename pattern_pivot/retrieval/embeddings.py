"""Sentence embeddings, normalised for cosine search, on one of three backends.

* ``onnx``: the bundled all-MiniLM-L6-v2 as an fp32 ONNX export on onnxruntime (see
  ``onnx_export``): no torch import, loads in well under a second. Its vectors equal the
  torch model's to float rounding (cosine >= 0.99999, the same top-1 hits).
* ``bf16``: the same export on OpenVINO with bf16 inference precision (``onnx_embedder``):
  matrix products in bf16, normalisation, softmax and pooling in fp32, no torch import.
  On a CPU with native bf16 (AMX or AVX512-BF16) it embeds ~3.4x as many chunks per
  CPU-second as torch fp32; measured against torch fp32: cosine min 0.99998, the same top-1
  hits (``tests/test_bf16_embeddings.py``). Elsewhere OpenVINO runs it in fp32.
* ``torch``: sentence-transformers in fp32, for the bundled model or any model directory.

All three compute the bundled model's vectors, so they share one model name and Milvus
collection: switching needs no re-index, and bf16-stored chunks answer fp32 queries.

``auto`` (the default) is torch for a model directory. For the bundled model it is onnx,
except for bulk encodes (``BULK_TEXTS`` or more texts) on a CPU with native bf16: there
OpenVINO's ~0.5 s start pays back within a few dozen chunks. (Tried and dropped: torch
under ``autocast`` bf16, ~2.7x torch fp32 and a 4-CPU-second torch import; a model cast
wholly to bf16, which changed top-1 hits; onnxruntime has no bf16 matmul kernels for x86,
and its int8 changed top-1 hits.)
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from pattern_pivot import bundled_models
from pattern_pivot.errors import ModelError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("auto", "onnx", "bf16", "torch")
ONNX_MODEL_NAME = f"{DEFAULT_EMBEDDING_MODEL} (ONNX export)"  # for messages only
BACKEND_ENV = "PATTERN_PIVOT_EMBEDDING_BACKEND"
log = logging.getLogger(__name__)
# Texts in one encode() from which auto switches to bf16: OpenVINO's import and compile
# cost ~0.5 s, and bf16 saves ~14 ms of CPU per 80-word chunk over onnxruntime fp32.
BULK_TEXTS = 64
_NATIVE_BF16_FLAGS = {"amx_bf16", "avx512_bf16"}  # /proc/cpuinfo names


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware, read from /proc/cpuinfo (deciding needs
    no torch import). False where that file is missing: onnx is the safe choice."""
    try:
        return _native_bf16_in(Path("/proc/cpuinfo").read_text(encoding="utf-8",
                                                               errors="replace"))
    except OSError:
        return False


def _native_bf16_in(cpuinfo: str) -> bool:
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return bool(_NATIVE_BF16_FLAGS & set(line.partition(":")[2].split()))
    return False


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
    """The configured backend, checked; ``auto`` stays auto for the bundled model (decided
    per encode() call) and is torch for a model directory."""
    if backend not in BACKENDS:
        raise ModelError(f"embedding backend {backend!r}", f"is not one of {', '.join(BACKENDS)}",
                         f"set {BACKEND_ENV} to auto, onnx, bf16 or torch")
    bundled = model == DEFAULT_EMBEDDING_MODEL
    if backend in ("onnx", "bf16") and not bundled:
        raise ModelError(f"embedding backend {backend} with model {model!r}",
                         "is only proven equivalent for the bundled all-MiniLM-L6-v2",
                         f"set {BACKEND_ENV}=torch (or auto) for a model directory")
    if backend == "auto" and not bundled:
        return "torch"
    return backend


class SentenceEmbedder:
    """Encodes texts into unit-length vectors, in batches, on the CPU."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, *, batch_size: int = 64,
                 backend: str = "auto"):
        self.model_name = model
        self.batch_size = batch_size
        self.backend = resolve_backend(model, backend)
        self._dir = resolve_model_dir(model) if self.backend == "torch" else None
        self._onnx = None
        self._openvino = None
        self._torch = None

    def backend_for(self, count: int) -> str:
        """The backend that encodes ``count`` texts in one call."""
        if self.backend != "auto":
            return self.backend
        if not cpu_has_native_bf16():
            return "onnx"
        return "bf16" if count >= BULK_TEXTS else "onnx"

    def _onnx_model(self):
        if self._onnx is None:
            from pattern_pivot.retrieval.onnx_embedder import OnnxMiniLM

            self._onnx = OnnxMiniLM(batch_size=self.batch_size)
        return self._onnx

    def _openvino_model(self):
        if self._openvino is None:
            from pattern_pivot.retrieval.onnx_embedder import OnnxMiniLM

            self._openvino = OnnxMiniLM(batch_size=self.batch_size, runtime="openvino")
            log.info("embedding on OpenVINO in %s", self._openvino.precision)
        return self._openvino

    def _torch_model(self):
        if self._torch is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
            prefer_sleeping_openmp_threads()
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a weight-loading bar per run is noise in logs
            folder = self._dir or resolve_model_dir(self.model_name)
            self._torch = SentenceTransformer(str(folder), device="cpu")
        return self._torch

    @property
    def name(self) -> str:
        """Identifies the vector space: the model name (every backend computes the bundled
        model's vectors), or the directory name for a path."""
        if self.backend != "torch" or self.model_name == DEFAULT_EMBEDDING_MODEL:
            return DEFAULT_EMBEDDING_MODEL
        return self._dir.name

    @property
    def dimension(self) -> int:
        if self.backend == "torch":
            return int(self._torch_model().get_embedding_dimension())
        loaded = self._openvino or self._onnx
        if loaded is None:  # the export's manifest says: no runtime (and no torch) to load
            from pattern_pivot.retrieval.onnx_embedder import verified_export

            return int(verified_export()[1]["dimension"])
        return loaded.dimension

    def encode(self, texts: list[str],
               progress: Callable[[float, float], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text; ``progress(done, total)`` after
        each part (a batch; 8 batches on torch, whose calls cost more to start)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        backend = self.backend_for(len(texts))  # once for all: parts never mix backends
        step = len(texts) if progress is None else \
            self.batch_size * (8 if backend == "torch" else 1)
        parts = []
        for first in range(0, len(texts), step):
            parts.append(self._encode_on(backend, texts[first:first + step]))
            if progress is not None:
                progress(min(first + step, len(texts)), len(texts))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _encode_on(self, backend: str, texts: list[str]) -> np.ndarray:
        if backend == "onnx":
            return self._onnx_model().encode(texts)
        if backend == "bf16":
            return self._openvino_model().encode(texts)
        vectors = self._torch_model().encode(texts, batch_size=self.batch_size,
                                             normalize_embeddings=True, convert_to_numpy=True,
                                             show_progress_bar=False)
        return vectors.astype(np.float32, copy=False)


def prefer_sleeping_openmp_threads() -> None:
    """Let torch's idle OpenMP threads sleep instead of spin-waiting (unless the user chose):
    read once, when torch first starts its thread pool. On 2 cores shared with other work
    (load 7), spinning threads that wait on a descheduled peer made torch fp32 1.4x (and
    the earlier autocast bf16 path 4x) slower per wall-second; the ONNX path turns spinning
    off too."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

