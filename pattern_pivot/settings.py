"""Where PatternPivot keeps its data, read from environment variables, and how typed
variables are read without one bad value taking the code location down.

Every default is local and needs no server; every path can be moved with one variable.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from pattern_pivot.errors import PatternPivotError

T = TypeVar("T")


class SettingError(PatternPivotError):
    """An environment variable holds a value PatternPivot cannot use. A parsed value (a
    number, a flag, a template) is raised by the stage that needs it, never while the code
    location loads: one bad setting must not take down ingest of local files."""

    def __init__(self, name: str, value: str, problem: str, fix: str):
        self.name, self.value = name, value
        super().__init__(f"{name}={value!r}", problem, fix)

    def parts(self) -> list[str]:
        """What a resource keeps to raise this error again at run time."""
        return [self.name, self.value, self.problem, self.fix]


def raise_setting_error(parts: Sequence[str]) -> None:
    """Raise the SettingError a resource was built with (``SettingError.parts``), if any."""
    if parts:
        raise SettingError(*parts)


@dataclass
class EnvReader:
    """Typed environment variables that never raise while reading: an unusable value yields
    its default and is kept in ``problems``, for the stage that needs it to raise."""

    problems: list[SettingError] = field(default_factory=list)

    def _read(self, name: str, default: T, convert: Callable[[str], T], problem: str,
              fix: str) -> T:
        value = os.environ.get(name, "")
        if not value.strip():
            return default
        try:
            return convert(value.strip())
        except ValueError:
            self.problems.append(SettingError(name, value, problem, fix))
            return default

    def whole_number(self, name: str, default: int) -> int:
        def convert(text: str) -> int:
            number = int(text)
            if number <= 0:
                raise ValueError(text)
            return number
        return self._read(name, default, convert, "is not a whole number above 0",
                          f"set it to e.g. {default} or unset it")

    def number(self, name: str, default: float) -> float:
        def convert(text: str) -> float:
            number = float(text)
            if not math.isfinite(number) or number <= 0:
                raise ValueError(text)
            return number
        return self._read(name, default, convert, "is not a number above 0",
                          f"set it to e.g. {default:g} or unset it")

    def flag(self, name: str, default: bool) -> bool:
        def convert(text: str) -> bool:
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        return self._read(name, default, convert, "is not a yes/no value",
                          f"set it to 1 or 0 (true/false) or unset it "
                          f"({'1' if default else '0'})")


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    if not value:
        return default.resolve()
    try:
        return Path(value).expanduser().resolve()
    except RuntimeError:  # "~someone/..." for a user this machine does not have
        raise SettingError(var, value, "names the home folder of an unknown user",
                           "use an absolute path, or ~/ for your own home folder") from None


def user_cache_dir() -> Path:
    """Models assembled from PyPI packages live here, outside any checkout."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return _path("PATTERN_PIVOT_CACHE_DIR", base / "pattern-pivot")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    media_root: Path
    catalog_path: Path
    watch_dir: Path
    cache_dir: Path
    milvus_uri: str = ""  # a Milvus Lite file or a server URL; "" means <data_dir>/milvus.db
    asr_model: str = "base"
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_backend: str = "auto"  # auto (torch, for now) | onnx | torch
    llm_providers: str = ""  # JSON list of OpenAI-compatible providers (see pattern_pivot.llm)
    local_llm: str = ""  # "" (off), a bundled GGUF model name or a .gguf path
    tts_backend: str = "piper"  # piper | coqui | espeak
    tts_model: str = ""  # "" = the bundled Piper voice
    tts_config: str = ""
    # The channel's own terms ("Creative Commons, ComfyUI"): ASR is told them and spells them so.
    glossary: tuple[str, ...] = ()
    # "s3://bucket/prefix" when media live on S3; media_root is then the local mirror.
    media_uri: str = ""

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = _path("PATTERN_PIVOT_DATA_DIR", Path.cwd() / "var")
        media_uri = os.environ.get("PATTERN_PIVOT_MEDIA_ROOT", "").strip()
        if media_uri.startswith("s3://"):
            media_root = _path("PATTERN_PIVOT_MEDIA_CACHE", data_dir / "media-cache")
        else:
            media_uri, media_root = "", _path("PATTERN_PIVOT_MEDIA_ROOT", data_dir / "media")
        return cls(
            data_dir=data_dir,
            media_root=media_root,
            media_uri=media_uri,
            catalog_path=_path("PATTERN_PIVOT_CATALOG", data_dir / "catalog.sqlite"),
            watch_dir=_path("PATTERN_PIVOT_WATCH_DIR", data_dir / "channel"),
            cache_dir=user_cache_dir(),
            milvus_uri=os.environ.get("PATTERN_PIVOT_MILVUS_URI", ""),
            asr_model=os.environ.get("PATTERN_PIVOT_ASR_MODEL") or "base",
            embedding_model=os.environ.get("PATTERN_PIVOT_EMBEDDING_MODEL") or "all-MiniLM-L6-v2",
            embedding_backend=os.environ.get("PATTERN_PIVOT_EMBEDDING_BACKEND") or "auto",
            llm_providers=os.environ.get("PATTERN_PIVOT_LLM_PROVIDERS", ""),
            local_llm=os.environ.get("PATTERN_PIVOT_LOCAL_LLM", ""),
            tts_backend=os.environ.get("PATTERN_PIVOT_TTS_BACKEND") or "piper",
            tts_model=os.environ.get("PATTERN_PIVOT_TTS_MODEL", ""),
            tts_config=os.environ.get("PATTERN_PIVOT_TTS_CONFIG", ""),
            glossary=tuple(t.strip() for t in os.environ.get("PATTERN_PIVOT_GLOSSARY", "")
                           .split(",") if t.strip()),
        )

    @property
    def media_location(self) -> str:
        """What the media store is built from: an S3 URL, or the local root."""
        return self.media_uri or str(self.media_root)

    @property
    def vector_uri(self) -> str:
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    @property
    def remix_store_path(self) -> Path:
        """Remix requests live next to the catalog."""
        return self.catalog_path.with_name("remixes.sqlite")

    @property
    def remix_requests_dir(self) -> Path:
        """Where request files are dropped for the remix sensor."""
        return _path("PATTERN_PIVOT_REMIX_DIR", self.data_dir / "remix-requests")
