"""Speech audio for ASR: 16 kHz mono 16-bit PCM WAV, decoded by ffmpeg as a stream, and
denoised first when PATTERN_PIVOT_ENHANCE_SPEECH=denoise."""

from __future__ import annotations

import os
from pathlib import Path

from pattern_pivot.media.ffmpeg import run_ffmpeg
from pattern_pivot.settings import SettingError

SPEECH_SAMPLE_RATE = 16_000
SPEECH_ENHANCEMENT_ENV = "PATTERN_PIVOT_ENHANCE_SPEECH"
# Off by default: measured (README "Audio enhancement"), clean speech transcribes the same
# with it, but on noisy speech Whisper's errors move a few words either way, not reliably down.
SPEECH_ENHANCEMENTS = ("off", "denoise")


def speech_enhancement() -> str:
    """The configured clean-up before ASR; a bad value is raised by the stage needing it."""
    value = os.environ.get(SPEECH_ENHANCEMENT_ENV, "").strip().lower() or "off"
    if value not in SPEECH_ENHANCEMENTS:
        raise SettingError(SPEECH_ENHANCEMENT_ENV, value, "is not a speech enhancement",
                           "set it to denoise or off, or unset it (off)")
    return value


def extract_speech_audio(source: Path, target: Path, *, enhancement: str | None = None) -> None:
    """Write the first audio stream of ``source`` to ``target`` as 16 kHz mono WAV,
    denoised when ``enhancement`` (default: the setting) says so."""
    if (enhancement or speech_enhancement()) == "denoise":
        from pattern_pivot.enhance.speech import write_denoised_speech

        write_denoised_speech(source, target, rate=SPEECH_SAMPLE_RATE)
        return
    run_ffmpeg(
        ["-i", Path(source).resolve(), "-map", "0:a:0", "-vn", "-sn", "-dn",
         "-ac", "1", "-ar", str(SPEECH_SAMPLE_RATE), "-c:a", "pcm_s16le", "-f", "wav",
         Path(target).resolve()],
        subject=source,
        fix="the audio track could not be decoded: re-export the file with a standard "
            "audio codec (AAC, MP3, PCM) and add it again",
    )
