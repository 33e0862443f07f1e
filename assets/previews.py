"""Poster and animated preview metadata, the same for every asset that has pictures.

Each picture goes in twice: as a short markdown image served by the preview server (shown in
place on the partition's page: Dagster expands markdown under 1,000 characters), and embedded
as a data URL (one click away, "[Show Markdown]", but it needs no server).
"""

from __future__ import annotations

import base64
from pathlib import Path

import dagster as dg

from pattern_pivot.media.preview_server import preview_url

_MIME = {".webp": "image/webp", ".jpg": "image/jpeg", ".png": "image/png"}


def embedded_image(path: Path, alt: str) -> str:
    """Markdown for an image carried inside the metadata itself (a data URL)."""
    encoded = base64.b64encode(Path(path).read_bytes()).decode()
    return f"![{alt}](data:{_MIME[Path(path).suffix.lower()]};base64,{encoded})"


def preview_metadata(media_root: Path, *, preview: Path | None, poster: Path | None,
                     key: str = "preview", caption: str = "") -> dict[str, dg.MetadataValue]:
    """``key``: the animated preview and the poster, shown in place by the UI (via the
    preview server); ``key``_embedded: the same pictures inside the metadata;
    ``key``_path: the preview file."""
    pictures = [(p, alt) for p, alt in ((preview, "preview"), (poster, "poster")) if p]
    if not pictures:
        return {}
    prefix = f"{caption} " if caption else ""
    metadata = {
        key: dg.MetadataValue.md(prefix + " ".join(
            f"![{alt}]({preview_url(media_root, p)})" for p, alt in pictures)),
        f"{key}_embedded": dg.MetadataValue.md(prefix + " ".join(
            embedded_image(p, alt) for p, alt in pictures)),
    }
    if preview:
        metadata[f"{key}_path"] = dg.MetadataValue.path(str(preview))
    return metadata
