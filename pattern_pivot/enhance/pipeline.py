"""Enhance a recording's sound: denoise the speech, optionally trim fillers and long pauses,
bring it to a loudness target, and write it back (a video keeps its picture, copied)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pattern_pivot.catalog import MEDIA_EXTENSIONS, VIDEO_EXTENSIONS, check_media_extension
from pattern_pivot.enhance import trim
from pattern_pivot.enhance.deepfilter import SAMPLE_RATE
from pattern_pivot.enhance.denoise import Denoised, denoise_stream
from pattern_pivot.enhance.raw import RawAudio
from pattern_pivot.enhance.stream import decode_blocks
from pattern_pivot.errors import MediaError, PatternPivotError
from pattern_pivot.media.ffmpeg import run_ffmpeg
from pattern_pivot.media.loudness import TARGET_LUFS, Loudness, measure_file, normalising_chain
from pattern_pivot.media.probe import MediaInfo, probe
from pattern_pivot.transcription.types import Word

log = logging.getLogger(__name__)

# Codecs where ffmpeg's default for the extension is not what a creator expects.
_AAC = ["-c:a", "aac", "-b:a", "192k"]
_AUDIO_CODECS = {".mp4": _AAC, ".m4v": _AAC, ".mov": _AAC, ".m4a": _AAC, ".aac": _AAC,
                 ".mp3": ["-c:a", "libmp3lame", "-q:a", "2"], ".wav": ["-c:a", "pcm_s16le"]}
_X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p"]


@dataclass(frozen=True)
class EnhanceOptions:
    denoise: bool = True
    denoiser: str = "auto"  # auto (DeepFilterNet3, else afftdn), deepfilter, afftdn
    loudness: float | None = TARGET_LUFS  # LUFS; None leaves the level alone
    trim_pauses: bool = False
    trim_fillers: bool = False
    words: Sequence[Word] | None = None  # word timings of the source, for trimming
    max_pause: float = trim.MAX_PAUSE_S
    keep_pause: float = trim.KEEP_PAUSE_S


@dataclass(frozen=True)
class Enhanced:
    output: Path
    duration_in: float
    duration_out: float
    denoise: Denoised | None
    loudness_in: Loudness | None  # before the gain, after denoise and trimming
    loudness_target: float | None
    video: str | None  # "copied", "re-encoded" or None (audio only)
    cuts: list[trim.Cut] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["output"] = str(self.output)
        data["cuts_seconds"] = round(sum(c.length for c in self.cuts), 3)
        return data


def _check_paths(source: Path, target: Path) -> MediaInfo:
    check_media_extension(source)
    if target.suffix.lower() not in MEDIA_EXTENSIONS:
        raise PatternPivotError(str(target), "has an extension PatternPivot does not write",
                                f"end the output name with one of "
                                f"{', '.join(sorted(MEDIA_EXTENSIONS))}")
    if target.resolve() == source.resolve():
        raise PatternPivotError(str(target), "is the input file itself",
                                "write the enhanced copy to a new path (-o)")
    info = probe(source)  # a missing, empty or unreadable file is a MediaError here
    if info.audio is None:
        raise MediaError(str(source), "has no audio track, so there is nothing to enhance",
                         "use a file with a sound track")
    return info


def _decode(source: Path, info: MediaInfo, work: Path, options: EnhanceOptions,
            report: Callable[[str], None]) -> tuple[RawAudio, Denoised | None]:
    """The source's audio as 48 kHz float samples on disk: denoised (mono) or as it is."""
    channels = 1 if options.denoise else max(1, min(2, info.audio.channels))
    raw = RawAudio(work / "audio.f32", SAMPLE_RATE, channels)
    with open(raw.path, "wb") as out:
        if options.denoise:
            denoised = denoise_stream(source, lambda block: out.write(block.tobytes()),
                                      denoiser=options.denoiser,
                                      duration=info.audio.duration or info.duration,
                                      progress_log=report)
            if denoised.note:
                report(denoised.note)
            return raw, denoised
        for block in decode_blocks(source, rate=SAMPLE_RATE, channels=channels):
            out.write(block.tobytes())
    return raw, None


def _cuts(raw: RawAudio, options: EnhanceOptions, source: Path) -> list[trim.Cut]:
    if options.words is not None:
        return trim.cuts_from_words(options.words, raw.duration, fillers=options.trim_fillers,
                                    pauses=options.trim_pauses, max_pause=options.max_pause,
                                    keep_pause=options.keep_pause)
    if options.trim_fillers:
        raise PatternPivotError(str(source), "has no word timings to find filler words by",
                                "pass its transcript (--transcript, a `pattern-pivot "
                                "transcribe --json` output or a transcript.json)")
    speech = measure_file(raw.path, input_options=raw.input_options)
    if speech.silent:
        return []
    threshold = max(-70.0, min(-20.0, speech.integrated - trim.SILENCE_BELOW_SPEECH_DB))
    silences = trim.detected_silences(raw.path, threshold, options.max_pause,
                                      raw.input_options)
    return trim.cuts_from_silence(silences, raw.duration, max_pause=options.max_pause,
                                  keep_pause=options.keep_pause)


def _on_frames(spans: list[tuple[float, float]], fps: float) -> list[tuple[float, float]]:
    """Spans moved onto frame boundaries, so picture and sound keep the same length."""
    snapped = [(round(a * fps) / fps, round(b * fps) / fps) for a, b in spans]
    return [(a, b) for a, b in snapped if b > a]


def _select_script(spans: list[tuple[float, float]], path: Path) -> Path:
    # Written to a file: an hour of cuts makes an expression too long for a command line.
    terms = "+".join(f"between(t,{a:.6f},{b - 1e-4:.6f})" for a, b in spans)
    path.write_text(f"select='{terms}',setpts=N/FRAME_RATE/TB", encoding="utf-8")
    return path


def enhance(source: Path, target: Path, options: EnhanceOptions = EnhanceOptions(), *,
            progress_log: Callable[[str], None] | None = None) -> Enhanced:
    """Write ``source`` enhanced to ``target`` (atomically: a failure leaves no file)."""
    source, target = Path(source), Path(target)
    report = progress_log or log.info
    info = _check_paths(source, target)
    video_out = info.video is not None and target.suffix.lower() in VIDEO_EXTENSIONS
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pattern-pivot-enhance-") as tmp:
        work = Path(tmp)
        raw, denoised = _decode(source, info, work, options, report)
        cuts: list[trim.Cut] = []
        video_args = ["-map", "0:v:0", "-c:v", "copy"] if video_out else []
        if options.trim_pauses or options.trim_fillers:
            cuts = _cuts(raw, options, source)
            spans = trim.kept_spans(cuts, raw.duration)
            if video_out:
                spans = _on_frames(spans, info.video.fps or 30.0)
            if cuts:
                report(f"trimming {len(cuts)} spans ({sum(c.length for c in cuts):.1f} s)")
                raw = raw.keep(spans, work / "trimmed.f32")
                if video_out:
                    script = _select_script(spans, work / "select.txt")
                    video_args = ["-map", "0:v:0", "-filter_script:v", str(script),
                                  *(_X264 if target.suffix.lower() in {".mp4", ".m4v", ".mov",
                                                                       ".mkv"} else [])]
        chain, measured = "anull", None
        if options.loudness is not None:
            chain, measured = normalising_chain(
                lambda c: measure_file(raw.path, c, raw.input_options), options.loudness,
                rate=SAMPLE_RATE)
            report("the audio is silent%s: its level is left as it is" % (
                " after denoise (it may hold no speech: try --no-denoise)" if denoised else "")
                if measured.silent else
                f"loudness {measured.integrated:.1f} LUFS -> {options.loudness:g} LUFS")
        partial = target.with_name(f".{target.stem}.partial{target.suffix}")
        try:
            run_ffmpeg([*(["-i", source.resolve()] if video_out else []),
                        *raw.input_options, "-i", raw.path, *video_args,
                        "-map", f"{1 if video_out else 0}:a:0", "-af", chain,
                        *_AUDIO_CODECS.get(target.suffix.lower(), []), partial],
                       subject=source, fix="check that the output format can hold this "
                                           "video's codec (e.g. write .mkv), and the disk space")
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        duration_out = raw.duration
    return Enhanced(target, info.audio.duration or info.duration, round(duration_out, 3),
                    denoised, measured, options.loudness,
                    ("re-encoded" if cuts else "copied") if video_out else None, cuts)
