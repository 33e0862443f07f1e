"""Content hashing, streamed so large media never sits in memory."""

from __future__ import annotations

import hashlib
from pathlib import Path

_BLOCK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_with_sha256(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` and return the SHA-256 of what was copied: one read of
    the file instead of a copy and a separate hash pass."""
    digest = hashlib.sha256()
    with Path(source).open("rb") as src, Path(target).open("wb") as dst:
        for block in iter(lambda: src.read(_BLOCK), b""):
            digest.update(block)
            dst.write(block)
    return digest.hexdigest()


def inputs_digest(*parts: str) -> str:
    """A stage output's fingerprint: the digest of the inputs that made it (32 hex digits),
    so a re-run whose inputs did not change can reuse the output."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
