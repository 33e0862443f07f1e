"""Probe a media file into typed facts: duration, streams, resolution, fps, codecs; and
check that a file really holds all the media its header declares."""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import ffprobe_json, tool

TRUNCATED_FIX = "re-copy or re-download the file (the copy did not finish), then add it again"


@dataclass(frozen=True)
class VideoStreamInfo:
    codec: str
    width: int
    height: int
    fps: float


@dataclass(frozen=True)
class AudioStreamInfo:
    codec: str
    sample_rate: int
    channels: int
    duration: float = 0.0  # seconds the stream declares; 0: not declared (or an old probe)


@dataclass(frozen=True)
class MediaInfo:
    path: str
    size_bytes: int
    duration: float  # seconds
    container: str
    video: VideoStreamInfo | None
    audio: AudioStreamInfo | None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "MediaInfo":
        video = VideoStreamInfo(**data["video"]) if data.get("video") else None
        audio = AudioStreamInfo(**data["audio"]) if data.get("audio") else None
        return cls(**{**data, "video": video, "audio": audio})


def _fps(rate: str | None) -> float:
    try:
        value = Fraction(rate or "0")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return round(float(value), 3)


def _seconds(value: str | None) -> float:
    try:
        return max(float(value or 0.0), 0.0)
    except ValueError:
        return 0.0


def shortfall_tolerance(duration: float, fps: float = 0.0) -> float:
    """How much shorter than declared the media may end and still be whole: containers
    round, and the packets read are timed by decode order, which trails the last frame
    shown by its own duration plus the B-frame reordering (up to ~3 frames, seconds in a
    slide-show video at 0.2 fps); a cut-off copy loses far more."""
    return max(1.0, 0.01 * duration) + (4.0 / fps if fps > 0 else 0.0)


def check_complete(info: MediaInfo) -> None:
    """Read every audio and video packet of ``info.path`` (copied, not decoded: about as
    fast as reading the file) and raise MediaError when a packet is cut off or the streams
    end well before the duration the header declares. A truncated MP4 whose index comes
    first probes as whole; only reading its data shows that the data is missing."""
    path = Path(info.path)
    cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-v", "warning", "-xerror",
           "-i", str(path.resolve()), "-map", "0:v?", "-map", "0:a?", "-c", "copy",
           "-f", "null", "-progress", "pipe:1", "-nostats", "-"]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no detail"]
        detail = lines[-1].removeprefix(f"{path.resolve()}: ")  # e.g. "corrupt input packet"
        raise MediaError(str(path), f"is truncated or corrupt ({detail})", TRUNCATED_FIX)
    if b"Estimating duration from bitrate" in proc.stderr:
        return  # raw MP3/AAC without a length header: nothing declared to compare with
    ends = [line.split("=", 1)[1] for line in proc.stdout.decode("ascii", "replace").splitlines()
            if line.startswith("out_time_us=")]
    end = int(ends[-1]) / 1e6 if ends and ends[-1].strip().lstrip("-").isdigit() else 0.0
    fps = info.video.fps if info.video else 0.0
    if end < info.duration - shortfall_tolerance(info.duration, fps):
        raise MediaError(str(path), f"is truncated or corrupt: its media ends at {end:.2f} s "
                         f"but it declares {info.duration:.2f} s", TRUNCATED_FIX)


def probe(path: Path) -> MediaInfo:
    """Probe ``path``; raises MediaError naming the file when it is missing, empty or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(str(path), "does not exist or is not a regular file",
                         "check the path, or add the file again")
    size = path.stat().st_size
    if size == 0:
        raise MediaError(str(path), "is empty (0 bytes)",
                         "the copy or download did not finish: replace the file and add it again")
    data = ffprobe_json(path)
    streams = data.get("streams", [])
    # Cover art in audio files shows up as a one-frame "video" stream: not a video.
    video_streams = [s for s in streams if s.get("codec_type") == "video"
                     and not s.get("disposition", {}).get("attached_pic")]
    audio_streams = [s for s in streams if s.get("codec_type") == "audio"]
    if not video_streams and not audio_streams:
        raise MediaError(str(path), "has no video or audio stream",
                         "use a video or audio file (mp4, mov, mkv, webm, mp3, wav, ...)")
    fmt = data.get("format", {})
    duration = _seconds(fmt.get("duration"))
    if duration <= 0:
        raise MediaError(str(path), "reports no duration (the file is truncated or corrupt)",
                         "re-export or re-download the file, then add it again")
    video = None
    if video_streams:
        v = video_streams[0]
        video = VideoStreamInfo(codec=v.get("codec_name", "unknown"), width=int(v.get("width", 0)),
                                height=int(v.get("height", 0)),
                                fps=_fps(v.get("avg_frame_rate") or v.get("r_frame_rate")))
    audio = None
    if audio_streams:
        a = audio_streams[0]
        audio = AudioStreamInfo(codec=a.get("codec_name", "unknown"),
                                sample_rate=int(a.get("sample_rate", 0)),
                                channels=int(a.get("channels", 0)),
                                duration=round(_seconds(a.get("duration")), 3))
    return MediaInfo(path=str(path), size_bytes=size, duration=round(duration, 3),
                     container=fmt.get("format_name", "unknown"), video=video, audio=audio)
