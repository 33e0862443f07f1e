"""The video catalog: every registered video, keyed by a stable id derived from its content.

A local file's id is ``file-`` plus 16 hex digits of its SHA-256, so renaming or moving a file
never makes a new video, and the same content added twice is one video. Other sources use
their own prefix (``yt-`` for YouTube), so ids from different sources cannot collide.
The catalog is a SQLite file: safe for the sensor and several runs at once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from pattern_pivot.errors import CatalogError, MediaError, PatternPivotError, UnsupportedMediaError
from pattern_pivot.filenames import is_utf8_name, printable
from pattern_pivot.hashing import file_sha256
from pattern_pivot.sqlite_db import open_sqlite

VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg"})
AUDIO_EXTENSIONS = frozenset({".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus"})
MEDIA_EXTENSIONS = VIDEO_EXTENSIONS | AUDIO_EXTENSIONS
LOCAL_ID_PREFIX = "file-"
YOUTUBE_ID_PREFIX = "yt-"


@dataclass(frozen=True)
class CatalogEntry:
    video_id: str
    source_kind: str  # "file" or "youtube"
    source_uri: str  # absolute path for files, the watch URL for YouTube
    title: str
    sha256: str
    size_bytes: int
    added_at: float


@dataclass(frozen=True)
class YouTubeEntry:
    """What the catalog knows of a YouTube video beyond its CatalogEntry."""

    video_id: str  # yt-<youtube id>
    youtube_id: str
    channel_id: str
    title: str
    published_at: float | None  # unix seconds
    duration_s: float | None


def check_media_extension(path: Path) -> None:
    if path.suffix.lower() not in MEDIA_EXTENSIONS:
        raise UnsupportedMediaError(
            str(path), f"has an unsupported extension {path.suffix or '(none)'!r}",
            f"convert it to one of {', '.join(sorted(MEDIA_EXTENSIONS))}")


def local_video_id(sha256: str) -> str:
    return LOCAL_ID_PREFIX + sha256[:16]


_CANDIDATES_SHOWN = 10


class UnknownVideoError(CatalogError):
    """No id or title matches what was asked for (as opposed to several matching)."""


def _folded(text: str) -> str:
    """Case, spacing, dashes and underscores ignored: a file named 01-sourdough-bread.mp4
    is found as "sourdough bread"."""
    return " ".join(re.sub(r"[_\-]+", " ", text).split()).casefold()


def resolve_id(target: str, titles: dict[str, str], what: str = "video",
               fix: str = "give its id (`pattern-pivot add` prints them) or its title") -> str:
    """The one id in ``titles`` (id -> title) that ``target`` names, tried in this order:
    the id itself; the title (``_folded``); a prefix of the id or title; words inside the
    title. The first of these that only one video fits wins; ambiguous or unknown names are
    an error that lists the candidates."""
    if target in titles:
        return target
    wanted, raw = _folded(target), target.strip().casefold()
    if not wanted:
        raise UnknownVideoError(f"{what} {target!r}", "is empty", fix)
    folded = {i: _folded(t) for i, t in titles.items()}
    for matches in ([i for i, t in folded.items() if t == wanted],
                    [i for i, t in folded.items()
                     if t.startswith(wanted) or i.casefold().startswith(raw)],
                    [i for i, t in folded.items() if f" {wanted}" in f" {t}"]):
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = "; ".join(f"{i} ({titles[i]})" for i in matches[:_CANDIDATES_SHOWN])
            more = f" and {len(matches) - _CANDIDATES_SHOWN} more" \
                if len(matches) > _CANDIDATES_SHOWN else ""
            raise CatalogError(f"{what} {target!r}", f"matches {len(matches)}: {listed}{more}",
                               "give more of the title, or the id")
    known = "; ".join(f"{i} ({t})" for i, t in list(titles.items())[:_CANDIDATES_SHOWN])
    raise UnknownVideoError(f"{what} {target!r}", "matches no id or title"
                       + (f" (known: {known}{' ...' if len(titles) > _CANDIDATES_SHOWN else ''})"
                          if titles else " (there are none yet)"), fix)


def resolve_video_or_file(target: str, catalog: Catalog, purpose: str) -> str:
    """The id of a registered video (id, title or unique prefix), or of a media file
    registered now; ``purpose`` (e.g. "shorts") cuts on speech, so the file must have sound."""
    from pattern_pivot.media.probe import probe  # ffprobe: only when a file is given

    path = Path(target)
    if path.is_file():
        if probe(path).audio is None:
            raise PatternPivotError(f"{purpose} needs speech: {printable(path)}",
                                    "has no audio track", "give a video where someone speaks "
                                    "(or use `pattern-pivot reframe` for silent footage)")
        return catalog.register_file(path).video_id
    try:
        return catalog.resolve(target)
    except UnknownVideoError:  # (several matches: that error lists them)
        raise PatternPivotError(target, "is neither a file nor a registered video id or "
                                "title", "give a video file, or an id or title listed by "
                                "`pattern-pivot add`") from None


class Catalog:
    """Registered videos in a SQLite file."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        conn = open_sqlite(self.path)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS videos ("
            " video_id TEXT PRIMARY KEY, source_kind TEXT NOT NULL, source_uri TEXT NOT NULL,"
            " title TEXT NOT NULL, sha256 TEXT NOT NULL, size_bytes INTEGER NOT NULL,"
            " added_at REAL NOT NULL)")
        # When the catalog began: the first day its stats can be snapshotted (YouTube keeps
        # no history). A catalog from before this table counts from its first local file.
        conn.execute("CREATE TABLE IF NOT EXISTS catalog_info (key TEXT PRIMARY KEY, value REAL)")
        if conn.execute("SELECT 1 FROM catalog_info WHERE key = 'created_at'").fetchone() is None:
            conn.execute("INSERT OR IGNORE INTO catalog_info SELECT 'created_at', MIN(?, "
                         "COALESCE((SELECT MIN(added_at) FROM videos WHERE source_kind = 'file'),"
                         " ?))", (time.time(), time.time()))
            conn.commit()  # once, at once: reads must not hold a write lock
        # YouTube details live in a sibling table, so existing catalogs need no migration.
        conn.execute(
            "CREATE TABLE IF NOT EXISTS youtube_videos ("
            " video_id TEXT PRIMARY KEY, youtube_id TEXT NOT NULL, channel_id TEXT NOT NULL,"
            " title TEXT NOT NULL, published_at REAL, duration_s REAL)")
        return conn

    def created_at(self) -> float | None:
        """When the catalog began (unix seconds), read without creating or changing the file;
        None when there is no catalog yet."""
        if not self.path.is_file():
            return None
        try:
            with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
                row = conn.execute("SELECT value FROM catalog_info WHERE key = 'created_at'"
                                   ).fetchone()
        except sqlite3.Error:  # an older catalog never opened since, or unreadable
            return None
        return float(row[0]) if row else None

    def register_file(self, path: Path) -> CatalogEntry:
        """Register a local media file (idempotent: the same content is the same video)."""
        path = Path(path).expanduser()
        if not is_utf8_name(path):  # undecodable bytes became surrogates
            raise MediaError(printable(path), "has a name that is not valid UTF-8, which the "
                             "catalog, the event log and the UI store as text",
                             "rename the file (or its folder) to a UTF-8 name and add it again")
        if not path.is_file():
            raise MediaError(str(path), "does not exist or is not a regular file",
                             "check the path and try again")
        path = path.resolve()
        check_media_extension(path)
        sha = file_sha256(path)
        entry = CatalogEntry(video_id=local_video_id(sha), source_kind="file",
                             source_uri=str(path), title=path.stem, sha256=sha,
                             size_bytes=path.stat().st_size, added_at=time.time())
        with closing(self._connect()) as conn, conn:
            # Same content at a new path: keep the first registration time, follow the file.
            conn.execute(
                "INSERT INTO videos VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(video_id) DO UPDATE"
                " SET source_uri=excluded.source_uri, title=excluded.title",
                (entry.video_id, entry.source_kind, entry.source_uri, entry.title, entry.sha256,
                 entry.size_bytes, entry.added_at))
        return self.get(entry.video_id)

    def get(self, video_id: str) -> CatalogEntry:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT * FROM videos WHERE video_id = ?", (video_id,)).fetchone()
        if row is None:
            raise CatalogError(f"video {video_id!r}", "is not in the catalog",
                               "register its file with `pattern-pivot add FILE`")
        return CatalogEntry(*row)

    def resolve(self, target: str) -> str:
        """A video id from an id, a title or a unique prefix of either (``resolve_id``)."""
        return resolve_id(target, {e.video_id: e.title for e in self.entries()})

    def entries(self) -> list[CatalogEntry]:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM videos ORDER BY added_at, video_id").fetchall()
        return [CatalogEntry(*row) for row in rows]

    def register_youtube(self, youtube_id: str, channel_id: str, title: str,
                         published_at: float | None = None,
                         duration_s: float | None = None) -> CatalogEntry:
        """Register a YouTube video (idempotent). Its content hash is unknown until
        source_video downloads it (``set_content``)."""
        video_id = YOUTUBE_ID_PREFIX + youtube_id
        url = f"https://www.youtube.com/watch?v={youtube_id}"
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT INTO videos VALUES (?, 'youtube', ?, ?, '', 0, ?) ON CONFLICT(video_id)"
                " DO UPDATE SET title=excluded.title",
                (video_id, url, title, published_at or time.time()))
            conn.execute(
                "INSERT OR REPLACE INTO youtube_videos VALUES (?, ?, ?, ?, ?, ?)",
                (video_id, youtube_id, channel_id, title, published_at, duration_s))
        return self.get(video_id)

    def set_content(self, video_id: str, sha256: str, size_bytes: int) -> CatalogEntry:
        """Record the hash and size of a downloaded video's file."""
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE videos SET sha256 = ?, size_bytes = ? WHERE video_id = ?",
                         (sha256, size_bytes, video_id))
        return self.get(video_id)

    def youtube_entry(self, video_id: str) -> YouTubeEntry | None:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT * FROM youtube_videos WHERE video_id = ?",
                               (video_id,)).fetchone()
        return YouTubeEntry(*row) if row else None

    def youtube_entries(self, channel_id: str | None = None) -> list[YouTubeEntry]:
        query, args = "SELECT * FROM youtube_videos", ()
        if channel_id:
            query, args = query + " WHERE channel_id = ?", (channel_id,)
        with closing(self._connect()) as conn:
            rows = conn.execute(query + " ORDER BY published_at, video_id", args).fetchall()
        return [YouTubeEntry(*row) for row in rows]
