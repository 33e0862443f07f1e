"""The source stage for a YouTube video: download through yt-dlp into the media store
(atomically), probe, and keep YouTube's captions next to it for the transcript stage."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from pattern_pivot.catalog import Catalog, CatalogEntry
from pattern_pivot.hashing import file_sha256
from pattern_pivot.ingest import PROBE_NAME, SOURCE, TRANSCRIPT, TRANSCRIPT_NAME, StageOutput
from pattern_pivot.media.probe import MediaInfo, check_complete, probe
from pattern_pivot.media.store import MediaStore
from pattern_pivot.transcription.types import Transcript
from pattern_pivot.youtube.captions import read_captions
from pattern_pivot.youtube.download import Downloaded, DownloadLimits
from pattern_pivot.youtube.errors import YouTubeDownloadError
from pattern_pivot.youtube.types import youtube_id

CAPTION_NAMES = ("captions.json3", "captions.vtt")
_CAPTIONS_META = "captions.meta.json"
_CAPTION_TRANSCRIPT_VERSION = "captions-v1"

Downloader = Callable[[str, Path], Downloaded]


def store_youtube_source(entry: CatalogEntry, store: MediaStore, catalog: Catalog,
                         url: str, downloader: Downloader,
                         limits: DownloadLimits = DownloadLimits()
                         ) -> tuple[StageOutput, MediaInfo, Path | None]:
    """The downloaded video in the store (``source.mp4``), its probe and its captions.
    Cached once downloaded: the file's hash is recorded in the catalog."""
    vid = entry.video_id
    if youtube_id(vid) is None:
        raise ValueError(f"{vid} is not a YouTube video")
    if entry.sha256 and all(store.is_current(SOURCE, vid, name, entry.sha256)
                            for name in ("source.mp4", PROBE_NAME)):
        info = MediaInfo.from_dict(json.loads(
            store.path(SOURCE, vid, PROBE_NAME).read_text(encoding="utf-8")))
        return (StageOutput(store.path(SOURCE, vid, "source.mp4"), entry.sha256, True), info,
                stored_captions(store, vid, entry.sha256))
    target = store.path(SOURCE, vid, "source.mp4")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Download next to the target, so the final move is a rename on the same disk.
    with tempfile.TemporaryDirectory(prefix=".download-", dir=target.parent) as tmp:
        got = downloader(url, Path(tmp))
        info = probe(got.path)  # fails fast on a broken or empty file
        check_complete(info)  # a download cut short probes whole: read every packet
        if info.duration > limits.max_duration_s:
            raise YouTubeDownloadError(
                url, f"is {info.duration:.0f} s long, over the {limits.max_duration_s:g} s "
                "limit", "raise PATTERN_PIVOT_YOUTUBE_MAX_DURATION_S to ingest it")
        sha = file_sha256(got.path)
        with store.atomic_write(SOURCE, vid, "source.mp4", sha) as out:
            shutil.move(got.path, out)
        stored_info = MediaInfo(**{**info.__dict__, "path": str(target)})
        with store.atomic_write(SOURCE, vid, PROBE_NAME, sha) as out:
            out.write_text(json.dumps(stored_info.to_dict(), indent=1), encoding="utf-8")
        captions = None
        if got.captions is not None:
            name = "captions.json3" if got.captions.suffix == ".json3" else "captions.vtt"
            with store.atomic_write(SOURCE, vid, name, sha) as out:
                shutil.move(got.captions, out)
            with store.atomic_write(SOURCE, vid, _CAPTIONS_META, sha) as out:
                out.write_text(json.dumps({"kind": got.caption_kind,
                                           "language": got.caption_language}),
                               encoding="utf-8")
            captions = store.path(SOURCE, vid, name)
    catalog.set_content(vid, sha, target.stat().st_size)
    return StageOutput(target, sha, False), stored_info, captions


def stored_captions(store: MediaStore, video_id: str, source_fingerprint: str) -> Path | None:
    """Captions downloaded with the current source file, if any."""
    for name in CAPTION_NAMES:
        if store.is_current(SOURCE, video_id, name, source_fingerprint):
            return store.path(SOURCE, video_id, name)
    return None


def store_caption_transcript(entry: CatalogEntry, store: MediaStore, captions: Path
                             ) -> tuple[StageOutput, Transcript] | None:
    """The transcript made from YouTube's captions instead of ASR; None when the captions
    hold no text (the caller falls back to ASR)."""
    fingerprint = hashlib.sha256("|".join(
        [entry.sha256, captions.name, _CAPTION_TRANSCRIPT_VERSION]).encode()).hexdigest()[:32]
    target = store.path(TRANSCRIPT, entry.video_id, TRANSCRIPT_NAME)
    if store.is_current(TRANSCRIPT, entry.video_id, TRANSCRIPT_NAME, fingerprint):
        return StageOutput(target, fingerprint, True), Transcript.read_json(target)
    meta_path = store.path(SOURCE, entry.video_id, _CAPTIONS_META)
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    transcript = read_captions(captions, meta.get("language") or "en", meta.get("kind", ""))
    if not transcript.segments:
        return None
    with store.atomic_write(TRANSCRIPT, entry.video_id, TRANSCRIPT_NAME, fingerprint) as tmp:
        transcript.write_json(tmp)
    return StageOutput(target, fingerprint, False), transcript
