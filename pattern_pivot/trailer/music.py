"""The user's music: which file (one given, or the first of a folder), and its beats
(librosa's onset-based beat tracker), so that cuts can land on them."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from pattern_pivot.errors import MediaError

log = logging.getLogger(__name__)

MUSIC_EXTENSIONS = {".mp3", ".wav", ".flac", ".ogg", ".m4a", ".aac", ".opus"}


def pick_music(path: Path, seed: str = "") -> Path:
    """``path`` itself, or one file of the folder ``path`` chosen by ``seed`` (a video id:
    the same video always gets the same track, different videos get different ones)."""
    path = Path(path).expanduser()
    if path.is_file():
        if path.suffix.lower() not in MUSIC_EXTENSIONS:
            raise MediaError(str(path), f"is not a music file ({path.suffix or 'no extension'})",
                             f"give one of {', '.join(sorted(MUSIC_EXTENSIONS))}")
        return path
    if path.is_dir():
        tracks = sorted(p for p in path.iterdir()
                        if p.is_file() and p.suffix.lower() in MUSIC_EXTENSIONS)
        if not tracks:
            raise MediaError(str(path), "holds no music files",
                             f"add a track ({', '.join(sorted(MUSIC_EXTENSIONS))}) or leave "
                             "the music out")
        return tracks[sum(seed.encode()) % len(tracks)]
    raise MediaError(str(path), "does not exist", "give a music file or a folder of them")


def beat_times(path: Path, seconds: float) -> np.ndarray:
    """Beat times (seconds) in the first ``seconds`` of the track; empty when it has no
    steady beat (speech, ambient pads): the cuts then follow the sentences alone."""
    import librosa

    try:
        samples, rate = librosa.load(str(path), sr=22050, mono=True, duration=seconds + 2)
    except Exception as exc:  # audioread/soundfile raise many types for a broken file
        raise MediaError(str(path), f"cannot be decoded as audio ({type(exc).__name__})",
                         "convert it to WAV or MP3, or leave the music out") from exc
    if len(samples) < rate:
        raise MediaError(str(path), "is shorter than a second", "use a longer track")
    _, frames = librosa.beat.beat_track(y=samples, sr=rate, units="frames")
    beats = librosa.frames_to_time(frames, sr=rate)
    log.info("%s: %d beats in its first %.0f s", Path(path).name, len(beats), seconds)
    return np.asarray(beats, dtype=float)
