"""`pattern-pivot enhance`: a recording's sound denoised, trimmed and brought to a loudness
target; a video keeps its picture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import PatternPivotError


@app.command()
def enhance(
    source: Path = typer.Argument(..., metavar="INPUT", help="A video or audio file."),
    output: Path = typer.Option(..., "-o", "--output",
                                help="Where to write (.mp4, .mkv, .wav, .mp3, .m4a, ...)."),
    denoise: bool = typer.Option(True, "--denoise/--no-denoise",
                                 help="Remove background noise from speech (DeepFilterNet3)."),
    denoiser: str = typer.Option("auto", help="auto (DeepFilterNet3, else ffmpeg afftdn), "
                                              "deepfilter or afftdn."),
    loudness: Optional[float] = typer.Option(-14.0, "--loudness",
                                             help="Integrated loudness target in LUFS "
                                                  "(EBU R128); -14 suits YouTube."),
    keep_level: bool = typer.Option(False, "--keep-level", help="Leave the loudness alone."),
    trim_silence: bool = typer.Option(False, "--trim-silence",
                                      help="Shorten pauses longer than --max-pause."),
    trim_fillers: bool = typer.Option(False, "--trim-fillers",
                                      help="Cut 'um', 'uh', 'erm'... (needs --transcript)."),
    transcript: Optional[Path] = typer.Option(
        None, "--transcript", help="The input's transcript JSON (`pattern-pivot transcribe "
                                   "--json`): trims by its word timings."),
    max_pause: float = typer.Option(0.8, "--max-pause", help="Seconds a pause may last."),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
) -> None:
    """Clean up a recording's sound: speech denoise, loudness to EBU R128, and optionally
    shorter pauses and no filler words. A video's picture is copied untouched (re-encoded
    only when trimming)."""
    from pattern_pivot.enhance.denoise import check_denoiser
    from pattern_pivot.enhance.pipeline import EnhanceOptions
    from pattern_pivot.enhance.pipeline import enhance as run_enhance

    try:
        words = _words(transcript) if transcript is not None else None
        if not keep_level and not -70.0 <= loudness <= -5.0:
            raise PatternPivotError(f"--loudness {loudness:g}", "is not a loudness target "
                                    "in LUFS", "use a value from -70 to -5, e.g. -14 "
                                    "(YouTube) or -23 (EBU broadcast)")
        if max_pause <= 0.4:
            raise PatternPivotError(f"--max-pause {max_pause:g}", "leaves no room for the "
                                    "0.4 s kept of each pause", "use a value above 0.4")
        options = EnhanceOptions(denoise=denoise, denoiser=check_denoiser(denoiser),
                                 loudness=None if keep_level else loudness,
                                 trim_pauses=trim_silence, trim_fillers=trim_fillers,
                                 words=words, max_pause=max_pause)
        result = run_enhance(source, output, options,
                             progress_log=lambda line: typer.echo(line, err=True))
    except PatternPivotError as exc:
        exit_with_error(exc)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=1, default=str))
        return
    parts = [f"{result.output}: {result.duration_out:.1f} s"]
    if result.denoise:
        parts.append(f"denoised ({result.denoise.engine})")
    if result.cuts:
        parts.append(f"{len(result.cuts)} cuts, {result.duration_in - result.duration_out:.1f} s "
                     "shorter")
    if result.loudness_target is not None:
        parts.append(f"{result.loudness_target:g} LUFS")
    typer.echo(", ".join(parts))


def _words(path: Path):
    """Word timings from a transcript JSON: ``pattern-pivot transcribe --json`` output or a
    stored transcript.json (both list every word at the top level)."""
    from pattern_pivot.transcription.types import Word

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Word(float(w["start"]), float(w["end"]), str(w["text"]))
                for w in data["words"]]
    except FileNotFoundError:
        raise PatternPivotError(str(path), "does not exist",
                                "check the transcript's path") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PatternPivotError(str(path), f"is not a transcript JSON with word timings "
                                f"({type(exc).__name__}: {exc})",
                                "write one with `pattern-pivot transcribe FILE --json`"
                                ) from exc
