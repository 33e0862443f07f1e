"""The ingest stages for one video: source copy + probe, speech audio, transcript.

Each stage reads its inputs from the media store, writes its outputs atomically, and skips
the work when its output exists and was made from the same inputs (a fingerprint).
"""

from __future__ import annotations

import json
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pattern_pivot.catalog import CatalogEntry
from pattern_pivot.errors import CatalogError, MediaError
from pattern_pivot.hashing import copy_with_sha256, inputs_digest
from pattern_pivot.media.audio import extract_speech_audio, speech_enhancement
from pattern_pivot.media.ffmpeg import run_ffmpeg
from pattern_pivot.media.preview import MAX_PREVIEW_BYTES, write_animated_preview
from pattern_pivot.media.probe import (
    TRUNCATED_FIX,
    MediaInfo,
    check_complete,
    probe,
    shortfall_tolerance,
)
from pattern_pivot.media.store import MediaStore
from pattern_pivot.transcription.types import Transcript
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber

SOURCE, AUDIO, TRANSCRIPT = "source_video", "video_audio", "video_transcript"
PROBE_NAME, POSTER_NAME, AUDIO_NAME, TRANSCRIPT_NAME = (
    "probe.json", "poster.jpg", "audio.wav", "transcript.json")
PREVIEW_NAME = "preview.webp"
_AUDIO_VERSION = "audio-v1"  # bump when extraction settings change


@dataclass(frozen=True)
class StageOutput:
    path: Path
    fingerprint: str
    cached: bool


def source_name(entry: CatalogEntry) -> str:
    if entry.source_kind == "youtube":  # yt-dlp always delivers (or merges into) MP4
        return "source.mp4"
    return "source" + Path(entry.source_uri).suffix.lower()


def store_source(entry: CatalogEntry, store: MediaStore) -> tuple[StageOutput, MediaInfo]:
    """Copy the registered file into the store (verifying it is still the same content)
    and probe it. The probe and a read of every packet fail fast on empty, corrupt or
    truncated files, before any copy."""
    name = source_name(entry)
    fingerprint = entry.sha256
    if store.is_current(SOURCE, entry.video_id, name, fingerprint) and store.is_current(
            SOURCE, entry.video_id, PROBE_NAME, fingerprint):
        info = MediaInfo.from_dict(json.loads(
            store.path(SOURCE, entry.video_id, PROBE_NAME).read_text(encoding="utf-8")))
        return StageOutput(store.path(SOURCE, entry.video_id, name), fingerprint, True), info
    original = Path(entry.source_uri)
    info = probe(original)
    check_complete(info)
    with store.atomic_write(SOURCE, entry.video_id, name, fingerprint) as tmp:
        # Verified while copying; a mismatch raises inside atomic_write, so nothing is kept.
        if copy_with_sha256(original, tmp) != entry.sha256:
            raise CatalogError(str(original), f"changed since it was added as {entry.video_id}",
                               "add the file again (`pattern-pivot add FILE`): "
                               "new content is a new video")
    target = store.path(SOURCE, entry.video_id, name)
    stored_info = MediaInfo(**{**info.__dict__, "path": str(target)})
    with store.atomic_write(SOURCE, entry.video_id, PROBE_NAME, fingerprint) as tmp:
        tmp.write_text(json.dumps(stored_info.to_dict(), indent=1), encoding="utf-8")
    return StageOutput(target, fingerprint, False), stored_info


def store_poster(entry: CatalogEntry, store: MediaStore, source: StageOutput,
                 info: MediaInfo) -> Path | None:
    """A small JPEG frame for the UI; None for audio-only sources."""
    if info.video is None:
        return None
    if not store.is_current(SOURCE, entry.video_id, POSTER_NAME, source.fingerprint):
        at = info.duration * 0.1
        with store.atomic_write(SOURCE, entry.video_id, POSTER_NAME, source.fingerprint) as tmp:
            run_ffmpeg(["-ss", f"{at:.3f}", "-i", source.path, "-frames:v", "1",
                        "-vf", "scale=320:-2", "-f", "image2", "-c:v", "mjpeg", tmp],
                       subject=entry.source_uri, fix="the video frames could not be decoded: "
                       "re-export the file and add it again")
            # ffmpeg exits 0 with no frame when none decodes at that point.
            if tmp.stat().st_size == 0:
                raise MediaError(entry.source_uri, f"has no video frame that decodes at "
                                 f"{at:.1f} s (the file is truncated or corrupt)", TRUNCATED_FIX)
    return store.path(SOURCE, entry.video_id, POSTER_NAME)


def store_preview(entry: CatalogEntry, store: MediaStore, source: StageOutput,
                  info: MediaInfo) -> Path | None:
    """A few seconds from 10% in as a small animated WebP; None for audio-only sources or
    when it comes out too big to show inline."""
    if info.video is None:
        return None
    if not store.is_current(SOURCE, entry.video_id, PREVIEW_NAME, source.fingerprint):
        with store.atomic_write(SOURCE, entry.video_id, PREVIEW_NAME, source.fingerprint) as tmp:
            write_animated_preview(source.path, tmp, info.duration * 0.1,
                                   subject=entry.source_uri, fix=TRUNCATED_FIX)
    path = store.path(SOURCE, entry.video_id, PREVIEW_NAME)
    return path if 0 < path.stat().st_size <= MAX_PREVIEW_BYTES else None


def store_audio(entry: CatalogEntry, store: MediaStore, source: StageOutput,
                info: MediaInfo) -> StageOutput:
    """16 kHz mono WAV of the source's first audio stream."""
    if info.audio is None:
        raise MediaError(entry.source_uri, "has no audio stream, so there is no speech to "
                         "transcribe", "add a version of the video with its sound track")
    enhancement = speech_enhancement()
    # Unchanged when off, so audio extracted before the setting existed stays current.
    fingerprint = inputs_digest(source.fingerprint, _AUDIO_VERSION,
                                *([enhancement] if enhancement != "off" else []))
    if store.is_current(AUDIO, entry.video_id, AUDIO_NAME, fingerprint):
        return StageOutput(store.path(AUDIO, entry.video_id, AUDIO_NAME), fingerprint, True)
    with store.atomic_write(AUDIO, entry.video_id, AUDIO_NAME, fingerprint) as tmp:
        extract_speech_audio(source.path, tmp, enhancement=enhancement)
        _check_decoded_length(entry, tmp, info)
    return StageOutput(store.path(AUDIO, entry.video_id, AUDIO_NAME), fingerprint, False)


def _check_decoded_length(entry: CatalogEntry, wav: Path, info: MediaInfo) -> None:
    """ffmpeg skips audio frames it cannot decode and still exits 0: demand (nearly) the
    whole length the audio stream declares, so a damaged track is not transcribed as a
    shorter one."""
    declared = info.audio.duration if info.audio else 0.0
    if declared <= 0:  # not declared by the container (or a probe from before it was kept)
        return
    with wave.open(str(wav), "rb") as decoded:
        seconds = decoded.getnframes() / decoded.getframerate()
    if seconds < declared - shortfall_tolerance(declared):
        raise MediaError(entry.source_uri, f"is truncated or corrupt: its audio decodes to "
                         f"{seconds:.2f} s of the {declared:.2f} s it declares", TRUNCATED_FIX)


def stored_output(store: MediaStore, asset: str, video_id: str, name: str) -> StageOutput:
    """A finished output of an upstream stage; a clear error when it is not there yet."""
    path = store.path(asset, video_id, name)
    marker = path.with_name(name + ".inputs")
    if not path.is_file() or not marker.is_file():
        raise MediaError(str(path), "does not exist yet",
                         f"materialise {asset} for partition {video_id} first")
    return StageOutput(path, marker.read_text(encoding="utf-8").strip(), True)


def source_output(entry: CatalogEntry, store: MediaStore) -> tuple[StageOutput, MediaInfo]:
    """The stored source of a video and its probe, for downstream stages."""
    name = source_name(entry)
    if not store.is_current(SOURCE, entry.video_id, name, entry.sha256):
        raise MediaError(str(store.path(SOURCE, entry.video_id, name)), "does not exist yet",
                         f"materialise source_video for partition {entry.video_id} first")
    info = MediaInfo.from_dict(json.loads(
        store.path(SOURCE, entry.video_id, PROBE_NAME).read_text(encoding="utf-8")))
    return StageOutput(store.path(SOURCE, entry.video_id, name), entry.sha256, True), info


def store_transcript(entry: CatalogEntry, store: MediaStore, audio: StageOutput,
                     transcriber: FasterWhisperTranscriber,
                     progress: Callable[[float, float], None] | None = None,
                     ) -> tuple[StageOutput, Transcript]:
    """Transcript JSON with word timestamps; cached per audio and transcriber settings."""
    fingerprint = inputs_digest(audio.fingerprint, transcriber.fingerprint)
    target = store.path(TRANSCRIPT, entry.video_id, TRANSCRIPT_NAME)
    if store.is_current(TRANSCRIPT, entry.video_id, TRANSCRIPT_NAME, fingerprint):
        return StageOutput(target, fingerprint, True), Transcript.read_json(target)
    transcript = transcriber.transcribe(audio.path, progress)
    with store.atomic_write(TRANSCRIPT, entry.video_id, TRANSCRIPT_NAME, fingerprint) as tmp:
        transcript.write_json(tmp)
    return StageOutput(target, fingerprint, False), transcript
