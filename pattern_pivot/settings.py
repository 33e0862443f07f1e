"""Where PatternPivot keeps its data, read from environment variables.

Every default is local and needs no server; every path can be moved with one variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default.resolve()


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
    llm_providers: str = ""  # JSON list of OpenAI-compatible providers (see pattern_pivot.llm)
    local_llm: str = ""  # "" (off), a bundled GGUF model name or a .gguf path
    tts_backend: str = "piper"  # piper | coqui | espeak
    tts_model: str = ""  # "" = the bundled Piper voice
    tts_config: str = ""

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = _path("PATTERN_PIVOT_DATA_DIR", Path.cwd() / "var")
        return cls(
            data_dir=data_dir,
            media_root=_path("PATTERN_PIVOT_MEDIA_ROOT", data_dir / "media"),
            catalog_path=_path("PATTERN_PIVOT_CATALOG", data_dir / "catalog.sqlite"),
            watch_dir=_path("PATTERN_PIVOT_WATCH_DIR", data_dir / "channel"),
            cache_dir=user_cache_dir(),
            milvus_uri=os.environ.get("PATTERN_PIVOT_MILVUS_URI", ""),
            asr_model=os.environ.get("PATTERN_PIVOT_ASR_MODEL") or "base",
            embedding_model=os.environ.get("PATTERN_PIVOT_EMBEDDING_MODEL") or "all-MiniLM-L6-v2",
            llm_providers=os.environ.get("PATTERN_PIVOT_LLM_PROVIDERS", ""),
            local_llm=os.environ.get("PATTERN_PIVOT_LOCAL_LLM", ""),
            tts_backend=os.environ.get("PATTERN_PIVOT_TTS_BACKEND") or "piper",
            tts_model=os.environ.get("PATTERN_PIVOT_TTS_MODEL", ""),
            tts_config=os.environ.get("PATTERN_PIVOT_TTS_CONFIG", ""),
        )

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
