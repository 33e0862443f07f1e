"""`pattern-pivot present`: slides synced to a talk, recorded in headless Chromium and laid
beside the speaker (video_presentation, run here on the persistent instance)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import typer

from pattern_pivot.catalog import Catalog, resolve_video_or_file
from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.settings import Settings


@app.command()
def present(
    target: str = typer.Argument(..., metavar="VIDEO_ID_OR_FILE"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Copy the MP4 here."),
    theme: Optional[Path] = typer.Option(None, "--theme", help="A CSS file for the deck."),
    framing: str = typer.Option("auto", "--framing", help="The speaker: auto (follows the "
                                "face), center or fit."),
) -> None:
    """Slides from the talk's transcript (a title and up to 3 bullets per section), shown
    at the transcript's times on the left, the speaker on the right."""

    settings = Settings.from_env()
    try:
        if theme is not None and not theme.is_file():
            raise PatternPivotError(f"--theme {theme}", "does not exist",
                                    "give a CSS file, or leave --theme out")
        if framing not in ("auto", "center", "fit"):
            raise PatternPivotError(f"--framing {framing}", "is not a framing",
                                    "use auto, center or fit")
        video_id = resolve_video_or_file(target, Catalog(settings.catalog_path),
                                         "presentation")
    except PatternPivotError as exc:
        exit_with_error(exc)
    from pattern_pivot.cli.runs import execute, ingest_first, instance_for
    from pattern_pivot.definitions import defs
    from pattern_pivot.media.open_store import open_media_store
    from pattern_pivot.present.stage import NAMES, PRESENTATION_ASSET

    instance = instance_for(settings)
    ingest_first(instance, video_id, defs)
    config = {"theme": str(theme.resolve()) if theme else "", "framing": framing}
    outcome = execute(instance, defs.resolve_job_def("present_job"), video_id,
                      run_config={"ops": {PRESENTATION_ASSET: {"config": config}}})
    if not outcome.success:
        typer.secho(f"error: {outcome.error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2 if "Fix:" in (outcome.error or "") else 1)
    made = open_media_store(settings).path(PRESENTATION_ASSET, video_id, NAMES["video"])
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(made, output)
        made = output
    typer.echo(str(made))
