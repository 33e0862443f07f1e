"""`pattern-pivot reframe`: frame a whole video for another shape (a vertical short, a
square post) so the speaker and on-screen text stay in view."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.remix.types import FRAME_SIZES


@app.command()
def reframe(
    source: Path = typer.Argument(..., help="The video to frame (with or without sound)."),
    out: Path = typer.Option(..., "-o", "--out", help="The MP4 to write."),
    frame: str = typer.Option("9:16", "--format", help="9:16, 1:1 or 16:9."),
    framing: str = typer.Option("auto", "--framing",
                                help="auto (follow faces, fit screens), center or fit."),
    as_json: bool = typer.Option(False, "--json", help="Print each shot's start, end, "
                                 "layout, reason and face count."),
) -> None:
    """Frame SOURCE for FORMAT: per shot, a crop that follows the face (the speaker, when
    several people show), the whole frame over a blurred copy (no face, screens, slides),
    the face on top of the screen, or two people trading quick turns stacked (two_up)."""
    from pattern_pivot.reframe import FRAMINGS, frame_video
    from pattern_pivot.reframe.render import render_reframed

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if frame not in FRAME_SIZES:
            raise PatternPivotError(f"--format {frame}", "is not a supported frame format",
                                    f"use one of {', '.join(FRAME_SIZES)}")
        if framing not in FRAMINGS:
            raise PatternPivotError(f"--framing {framing}", "is not a framing",
                                    f"use one of {', '.join(FRAMINGS)}")
        if not source.is_file():
            raise PatternPivotError(str(source), "does not exist",
                                    "give the path of a video file")
        if out.resolve() == source.resolve():
            raise PatternPivotError(str(out), "is the input itself",
                                    "write the framed video to another file")
        plan = frame_video(source, FRAME_SIZES[frame], framing)
        render_reframed(source, out, plan)
    except PatternPivotError as exc:
        exit_with_error(exc)
    if as_json:
        typer.echo(json.dumps({"video": str(out), "format": frame, "framing": framing,
                               "shots": [{"start": s.start, "end": s.end, "layout": s.layout,
                                          "reason": s.reason, "faces": s.faces}
                                         for s in plan.shots]}, indent=1))
        return
    typer.echo(f"{out}  ({frame}, {len(plan.shots)} shot(s))")
    for s in plan.shots:
        typer.echo(f"  {s.start:7.2f}-{s.end:7.2f}  {s.layout:6}  {s.reason}")
