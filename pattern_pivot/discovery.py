"""Find new media files in a watched folder, a bounded batch at a time.

The caller keeps ``seen`` (relative path -> "size:mtime_ns") between scans, e.g. in a
sensor cursor. A file is new when its path is unseen or its size/mtime changed; a file
modified in the last ``settle_seconds`` may still be copying in and waits for a later scan.

A batch is bounded by count and by bytes: each new file is hashed whole to get its id, so
the bytes of a batch bound the work of one sensor tick. The oldest file is always taken,
however big, so a batch never stalls.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pattern_pivot.filenames import is_utf8_name


@dataclass(frozen=True)
class FoundFile:
    path: Path
    relpath: str
    state: str  # "size:mtime_ns"
    size: int = 0
    changed_ns: int = 0  # st_ctime_ns: any write, rename or chmod moves it


@dataclass
class FolderScan:
    new: list[FoundFile] = field(default_factory=list)  # a bounded batch, oldest first
    pending: int = 0  # new files left for later scans (over the limits, or still settling)
    ignored: list[FoundFile] = field(default_factory=list)  # unsupported extensions
    # Names (or folder names) that are not valid UTF-8: they cannot be stored or shown, so
    # they are skipped until renamed.
    undecodable: list[FoundFile] = field(default_factory=list)


def scan_folder(folder: Path, seen: dict[str, str], extensions: set[str], *, limit: int,
                max_bytes: int | None = None, cost: Callable[[FoundFile], int] | None = None,
                settle_seconds: float = 0.0, now: float | None = None) -> FolderScan:
    """``cost``: the bytes a file will take to register (default its size; 0 for a file
    whose hash is already known)."""
    now = time.time() if now is None else now
    scan = FolderScan()
    if not folder.is_dir():
        return scan
    candidates: list[tuple[int, FoundFile]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in filenames:
            if filename.startswith("."):  # temp files of in-progress copies
                continue
            path = Path(dirpath) / filename
            try:
                stat = path.stat()
            except OSError:
                continue  # vanished or unreadable: try again next scan
            relpath = path.relative_to(folder).as_posix()
            state = f"{stat.st_size}:{stat.st_mtime_ns}"
            if seen.get(relpath) == state:
                continue
            found = FoundFile(path, relpath, state, stat.st_size, stat.st_ctime_ns)
            if not is_utf8_name(relpath):
                scan.undecodable.append(found)
                continue
            if path.suffix.lower() not in extensions:
                scan.ignored.append(found)
                continue
            if now - stat.st_mtime < settle_seconds:
                scan.pending += 1
                continue
            candidates.append((stat.st_mtime_ns, found))
    candidates.sort(key=lambda item: (item[0], item[1].relpath))
    total = 0
    for _, found in candidates:
        size = found.size if cost is None else cost(found)
        if len(scan.new) >= limit or (
                scan.new and max_bytes is not None and total + size > max_bytes):
            break
        scan.new.append(found)
        total += size
    scan.pending += len(candidates) - len(scan.new)
    return scan


@dataclass
class FolderCursor:
    """What a folder watcher has dealt with, by relative path -> "size:mtime_ns"."""

    files: dict[str, str] = field(default_factory=dict)  # registered
    # Could not be registered (unreadable, not media after all, a name that is not UTF-8):
    # logged once, and tried again only when the file changes.
    failed: dict[str, str] = field(default_factory=dict)

    def handled(self) -> dict[str, str]:
        return {**self.files, **self.failed}

    def registered(self, found: FoundFile) -> None:
        self.files[found.relpath] = found.state
        self.failed.pop(found.relpath, None)

    def rejected(self, found: FoundFile) -> None:
        self.failed[found.relpath] = found.state


def load_cursor(cursor: str | None) -> FolderCursor:
    if not cursor:
        return FolderCursor()
    try:
        data = json.loads(cursor)
    except json.JSONDecodeError:
        return FolderCursor()
    if not isinstance(data, dict):
        return FolderCursor()
    return FolderCursor(dict(data.get("files", {})), dict(data.get("failed", {})))


def dump_cursor(cursor: FolderCursor) -> str:
    # ensure_ascii (the default) keeps names that are not UTF-8 as \udcXX escapes.
    return json.dumps({"files": cursor.files, "failed": cursor.failed}, sort_keys=True,
                      separators=(",", ":"))
