"""Pictures for faceless scenes beyond the catalog: the user's own image folder, and an
optional images endpoint (any OpenAI-compatible ``/images/generations``). Neither is ever
required: a scene without a picture falls back to catalog footage, a still or a card.

Folder images are matched to a scene by their file names (``solar-panels-on-a-roof.jpg``),
embedded with the bundled sentence model; generated images are cached by prompt, and what
they cost is recorded in the script's metadata.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from pattern_pivot.errors import PatternPivotError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
IMAGE_DIR_ENV = "PATTERN_PIVOT_IMAGE_DIR"
IMAGES_ENV = "PATTERN_PIVOT_IMAGES"
MIN_MATCH = 0.35  # cosine of a scene to a file name below which the image is not about it


class ImagesConfigError(PatternPivotError):
    """The images endpoint setting is not usable."""


class ImageFolder:
    """A folder of the user's pictures, each matched to scenes by its file name."""

    def __init__(self, folder: Path, embedder):
        self.folder = Path(folder)
        self.embedder = embedder
        self.paths = sorted(p for p in self.folder.rglob("*")
                            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        names = [" ".join(p.stem.replace("_", " ").replace("-", " ").split())
                 for p in self.paths]
        self._vectors = embedder.encode(names) if names else np.zeros((0, 1))

    def best(self, text: str, used: set[str], min_match: float = MIN_MATCH) -> Path | None:
        """The unused picture whose name best matches ``text``, if any matches well enough."""
        if not self.paths:
            return None
        scores = self._vectors @ self.embedder.encode([text])[0]
        for i in np.argsort(-scores):
            if scores[i] < min_match:
                return None
            if str(self.paths[i]) not in used:
                return self.paths[i]
        return None


@dataclass
class ImagesBackend:
    """An OpenAI-compatible images endpoint, configured in the environment only (its key
    goes nowhere else). Images are cached under ``cache_dir`` by model, size and prompt."""

    base_url: str
    model: str
    cache_dir: Path
    api_key_env: str | None = None
    size: str = "1024x1792"
    cost_per_image: float = 0.0  # what one generated image costs, in your currency
    timeout: float = 120.0
    spent: dict = field(default_factory=lambda: {"generated": 0, "cached": 0, "cost": 0.0,
                                                 "failed": []})

    def __post_init__(self) -> None:
        from pattern_pivot.llm.providers import allowed_key_var

        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise ImagesConfigError(f"{IMAGES_ENV} base_url {self.base_url!r}",
                                    "is not an http(s) URL", "use the endpoint's OpenAI base URL")
        if self.api_key_env and not allowed_key_var(self.api_key_env):
            raise ImagesConfigError(f"{IMAGES_ENV} api_key_env {self.api_key_env!r}",
                                    "does not name an API key variable",
                                    "put the key in a variable such as OPENAI_API_KEY")

    def image_for(self, prompt: str) -> Path | None:
        """A picture for ``prompt`` (cached, or generated now); None when the endpoint fails
        (recorded in ``spent["failed"]``): a scene never fails for want of a picture."""
        digest = hashlib.sha256(f"{self.model}|{self.size}|{prompt}".encode()).hexdigest()[:24]
        path = Path(self.cache_dir) / "generated-images" / f"{digest}.png"
        if path.is_file():
            self.spent["cached"] += 1
            return path
        import binascii

        import openai

        try:
            data = self._generate(prompt)
        # What an endpoint can do to us: refuse, time out, be unreachable, answer garbage.
        except (openai.OpenAIError, ImagesConfigError, binascii.Error, IndexError,
                AttributeError, TypeError) as exc:
            self.spent["failed"].append(f"{type(exc).__name__}: {str(exc)[:120]}")
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".img-", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
        self.spent["generated"] += 1
        self.spent["cost"] = round(self.spent["cost"] + self.cost_per_image, 4)
        return path

    def _generate(self, prompt: str) -> bytes:
        from openai import OpenAI

        key = os.environ.get(self.api_key_env, "") if self.api_key_env else "not-needed"
        if not key:
            raise ImagesConfigError(f"environment variable {self.api_key_env}", "is not set",
                                    "export the key, or drop api_key_env")
        client = OpenAI(base_url=self.base_url, api_key=key, timeout=self.timeout,
                        max_retries=1)
        reply = client.images.generate(model=self.model, prompt=prompt, size=self.size, n=1,
                                       response_format="b64_json")
        return base64.b64decode(reply.data[0].b64_json)


def images_backend_from_env(cache_dir: Path) -> ImagesBackend | None:
    """The endpoint in PATTERN_PIVOT_IMAGES (JSON: base_url, model, optional api_key_env,
    size, cost_per_image), or None when it is not set."""
    text = os.environ.get(IMAGES_ENV, "").strip()
    if not text:
        return None
    try:
        fields = json.loads(text)
        if not isinstance(fields, dict):
            raise ValueError("not a JSON object")
        return ImagesBackend(cache_dir=cache_dir, **{k: v for k, v in fields.items()
                                                     if k in ImagesBackend.__dataclass_fields__
                                                     and k not in ("cache_dir", "spent")})
    except (ValueError, TypeError) as exc:
        raise ImagesConfigError(IMAGES_ENV, f"is not usable ({exc})",
                                'set it like {"base_url": "https://api.openai.com/v1", '
                                '"model": "dall-e-3", "api_key_env": "OPENAI_API_KEY"}') from exc
