"""`pattern-pivot report`: the run-health report of the persistent instance (the adapter
that reads it is pattern_pivot/cli/run_health.py, loaded only when the command runs)."""

from __future__ import annotations

import json

import typer

from pattern_pivot.cli.main import app
from pattern_pivot.health.redact import environment_secrets


@app.command()
def report(
    days: float = typer.Option(1.0, "--days", min=0.01, max=366,
                               help="How far back to look, in days."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    summary: bool = typer.Option(False, "--summary", help="Add a few sentences by the first "
                                 "configured LLM provider that answers (none needed)."),
) -> None:
    """What failed, retried or is stuck in the last days: each failed run's partition and
    title, asset, first error line and fix; how often each cause occurred; sensors whose
    ticks fail and partitions that never succeeded. Secrets are never shown."""
    from pattern_pivot.catalog import Catalog
    from pattern_pivot.cli.run_health import catalog_titles, read_run_health
    from pattern_pivot.cli.runs import instance_for
    from pattern_pivot.settings import Settings

    settings = Settings.from_env()
    health = read_run_health(instance_for(settings), days,
                             titles=catalog_titles(Catalog(settings.catalog_path)))
    if summary:
        from pattern_pivot.health.summary import summarise
        from pattern_pivot.llm.providers import parse_providers

        health = summarise(health, parse_providers(settings.llm_providers),
                           environment_secrets())
    typer.echo(json.dumps(health.to_dict(), indent=1, ensure_ascii=False) if as_json
               else health.markdown().rstrip())
