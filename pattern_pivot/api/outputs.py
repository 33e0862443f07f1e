"""What a job made, read from the media store: clips (MP4, posters, previews) with their
quality checks, and caption files. Downloads are served only from this list (a name is looked
up, never joined onto a path), so no client string reaches the file system.

The stage modules are not imported (they pull in the render stack, seconds of start-up); their
asset folder names are repeated here and tests/test_api.py checks they still match.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

SHORTS_ASSET, SHORTS_INDEX = "video_shorts", "shorts.json"
VIDEO_ASSET = "remix_video"
SUBTITLES_ASSET = "video_subtitles"
CAPTION_SUFFIXES = (".srt", ".vtt", ".ass")
MEDIA_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".webp": "image/webp",
               ".srt": "application/x-subrip", ".vtt": "text/vtt",
               ".ass": "text/x-ssa", ".json": "application/json"}


@dataclass(frozen=True)
class JobFiles:
    clips: dict[str, Path]  # download name -> file
    captions: dict[str, Path]
    summary: dict  # what the status endpoint shows (no server paths)


def _checks_from_outcomes(path: Path) -> dict:
    """A stored list of check outcomes (``*.checks.json``) as name -> passed/description."""
    try:
        outcomes = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {o["name"]: {"passed": bool(o["passed"]), "description": o.get("description", "")}
            for o in outcomes}


def _folder(media_root: Path, asset: str, partition: str) -> Path:
    return Path(media_root) / asset / partition


def shorts_files(media_root: Path, video_id: str, job_id: str) -> JobFiles:
    """The shorts of one video (``shorts.json`` lists them) and the video's subtitles."""
    folder = _folder(media_root, SHORTS_ASSET, video_id)
    clips, captions, shown = {}, {}, []
    try:
        index = json.loads((folder / SHORTS_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {"shorts": []}
    for n, short in enumerate(index.get("shorts", []), start=1):
        entry = {"index": n, "title": short.get("title"), "start": short.get("start"),
                 "end": short.get("end"), "score": short.get("score"),
                 "reason": short.get("reason"), "passed": short.get("passed"),
                 "checks": short.get("checks", {})}
        for kind, suffix in (("video", ".mp4"), ("poster", ".jpg"), ("preview", ".webp")):
            name = f"short-{n}{suffix}"
            if (folder / name).is_file():
                clips[name] = folder / name
                entry[f"{kind}_url"] = _url("clips", job_id, name)
                if kind == "video":
                    entry["filename"] = name
        shown.append(entry)
    sub_folder = _folder(media_root, SUBTITLES_ASSET, video_id)
    for path in sorted(sub_folder.glob("*")) if sub_folder.is_dir() else []:
        if path.suffix in CAPTION_SUFFIXES and path.is_file():
            captions[path.name] = path
    return JobFiles(clips, captions, {
        "clips": shown, "captions": _caption_list(captions, job_id,
                                                  "timed to the uploaded video")})


def remix_files(media_root: Path, request_id: str, job_id: str) -> JobFiles:
    """A remix request's rendered variants, their checks and caption files."""
    folder = _folder(media_root, VIDEO_ASSET, request_id)
    clips, captions, shown = {}, {}, []
    for video in sorted(folder.glob("variant-*.mp4")) if folder.is_dir() else []:
        stem = video.stem
        clips[video.name] = video
        entry = {"index": int(stem.split("-")[1]), "filename": video.name,
                 "video_url": _url("clips", job_id, video.name)}
        poster = folder / f"{stem}.jpg"
        if poster.is_file():
            clips[poster.name] = poster
            entry["poster_url"] = _url("clips", job_id, poster.name)
        checks = _checks_from_outcomes(folder / f"{stem}.checks.json")
        entry["checks"] = checks
        entry["passed"] = bool(checks) and all(c["passed"] for c in checks.values())
        shown.append(entry)
    for path in sorted(folder.glob("variant-*")) if folder.is_dir() else []:
        if path.is_file() and (path.suffix in CAPTION_SUFFIXES
                               or path.name.endswith(".captions.json")):
            captions[path.name] = path
    return JobFiles(clips, captions, {
        "clips": shown, "captions": _caption_list(captions, job_id, "timed to the clip")})


def _caption_list(captions: dict[str, Path], job_id: str, timing: str) -> list[dict]:
    return [{"filename": name, "url": _url("captions", job_id, name),
             "format": "words" if name.endswith(".captions.json") else Path(name).suffix[1:],
             "language": _language(name), "timing": timing} for name in captions]


def _language(name: str) -> str | None:
    """``en.srt`` / ``variant-1.pt.vtt`` -> the language; word captions have none."""
    parts = name.split(".")
    return parts[-2] if len(parts) >= 2 and parts[-1] in ("srt", "vtt", "ass") else None


def outputs_version(media_root: Path, kind: str, partition: str) -> tuple:
    """Changes whenever a stage rewrites the partition's outputs: each file is written anew
    and renamed into place, so its inode changes (timestamps can be too coarse to tell)."""
    folders = ((SHORTS_ASSET, SUBTITLES_ASSET) if kind == "shorts" else (VIDEO_ASSET,))
    version = []
    for asset in folders:
        try:
            with os.scandir(_folder(media_root, asset, partition)) as entries:
                version += sorted((asset, e.name, e.inode()) for e in entries)
        except OSError:
            version.append((asset, None))
    return tuple(version)


def _url(group: str, job_id: str, name: str) -> str:
    return f"/api/download/{group}/{job_id}/{name}"


def job_files(media_root: Path, kind: str, partition: str, job_id: str) -> JobFiles:
    return (shorts_files if kind == "shorts" else remix_files)(media_root, partition, job_id)
