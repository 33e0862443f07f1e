"""The media store: where every asset's files live, written atomically, reused when unchanged.

Layout: ``<root>/<asset>/<partition>/<name>``. Each finished file may carry a fingerprint of
the inputs that made it (``<name>.inputs``); a stage skips work when the file exists and its
fingerprint matches. Writes go to a temporary file in the same directory and are renamed into
place, so a crash never leaves a half-written file under the final name.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Iterator, Protocol

_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]*$")


def _check_part(kind: str, value: str) -> str:
    # Partition keys and names come from our own ids, but a bad one must never escape the root.
    if not _SAFE_PART.match(value) or ".." in value:
        raise ValueError(f"unsafe {kind} for the media store: {value!r}")
    return value


class MediaStore(Protocol):
    """Where stages read and write media files."""

    def path(self, asset: str, partition: str, name: str) -> Path: ...

    def is_current(self, asset: str, partition: str, name: str, fingerprint: str) -> bool: ...

    def atomic_write(self, asset: str, partition: str, name: str,
                     fingerprint: str) -> AbstractContextManager[Path]: ...

    def names(self, asset: str, partition: str) -> list[str]: ...

    def partitions(self, asset: str) -> list[str]: ...


class LocalMediaStore:
    """A media store on the local disk (the embedded default)."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def path(self, asset: str, partition: str, name: str) -> Path:
        return (self.root / _check_part("asset", asset) / _check_part("partition", partition)
                / _check_part("name", name))

    def _fingerprint_path(self, asset: str, partition: str, name: str) -> Path:
        return self.path(asset, partition, name + ".inputs")

    def is_current(self, asset: str, partition: str, name: str, fingerprint: str) -> bool:
        """True when the file exists and was made from inputs with this fingerprint."""
        target = self.path(asset, partition, name)
        marker = self._fingerprint_path(asset, partition, name)
        return (target.is_file() and marker.is_file()
                and marker.read_text(encoding="utf-8").strip() == fingerprint)

    def names(self, asset: str, partition: str) -> list[str]:
        """The names stored under one asset's partition, sorted (no markers, no temp files)."""
        folder = self.path(asset, partition, "x").parent
        return sorted(p.name for p in folder.iterdir() if p.is_file()
                      and not p.name.startswith(".") and not p.name.endswith(".inputs")
                      ) if folder.is_dir() else []

    def partitions(self, asset: str) -> list[str]:
        """The partitions that hold files of ``asset``, sorted."""
        folder = self.root / _check_part("asset", asset)
        return sorted(p.name for p in folder.iterdir() if p.is_dir()
                      and _SAFE_PART.match(p.name)) if folder.is_dir() else []

    @contextmanager
    def atomic_write(self, asset: str, partition: str, name: str,
                     fingerprint: str) -> Iterator[Path]:
        """Yield a temporary path to write; on success rename it to the final name."""
        target = self.path(asset, partition, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=Path(name).suffix,
                                        dir=target.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            yield tmp
            marker = self._fingerprint_path(asset, partition, name)
            # The old fingerprint goes first: a crash between the renames leaves the file
            # marked stale (redone next time), never a new file with an old fingerprint.
            marker.unlink(missing_ok=True)
            os.replace(tmp, target)
            _write_text_atomic(marker, fingerprint)
        finally:
            tmp.unlink(missing_ok=True)


def as_store(media: "MediaStore | Path | str") -> MediaStore:
    """A store as given, or the local store rooted at a folder (readers take either, so
    an S3-backed deployment passes its store and local callers keep passing a folder)."""
    return LocalMediaStore(Path(media)) if isinstance(media, (str, Path)) else media


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp_name, path)
