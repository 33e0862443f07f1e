"""The daily run-health report: what failed, retried or is stuck in this instance, as
Markdown in the UI (and stored beside the other outputs as .md and .json)."""

import json
import time

import dagster as dg

from pattern_pivot.cli.run_health import catalog_titles, read_run_health
from pattern_pivot.hashing import inputs_digest
from pattern_pivot.health.redact import environment_secrets
from pattern_pivot.health.summary import summarise
from pattern_pivot.llm.providers import parse_providers
from resources import CatalogResource, LLMResource, MediaStoreResource

HEALTH_ASSET = "run_health_report"


class RunHealthConfig(dg.Config):
    """How far back the report looks; whether an LLM provider may add a summary."""

    days: float = 1.0
    summary: bool = True


@dg.asset(group_name="health", kinds={"markdown"}, code_version="1")
def run_health_report(context: dg.AssetExecutionContext, config: RunHealthConfig,
                      catalog: CatalogResource, media_store: MediaStoreResource,
                      llm: LLMResource) -> dg.MaterializeResult:
    """Which runs failed or retried in the last day (partition and title, asset, first error
    line, the fix), how often each cause occurred, sensors whose ticks fail and partitions
    that never succeeded. Secrets in the environment never appear in it. With LLM providers
    configured, the first that answers adds a short summary; none is needed."""
    health = read_run_health(context.instance, config.days,
                             titles=catalog_titles(catalog.catalog()))
    if config.summary:
        health = summarise(health, parse_providers(llm.providers_json), environment_secrets())
    markdown = health.markdown()
    day = time.strftime("%Y-%m-%d", time.gmtime(health.until))
    store = media_store.store()
    fingerprint = inputs_digest(markdown)
    for name, text in (("report.md", markdown),
                       ("report.json", json.dumps(health.to_dict(), indent=1))):
        with store.atomic_write(HEALTH_ASSET, day, name, fingerprint) as tmp:
            tmp.write_text(text, encoding="utf-8")
    context.log.info(health.headline())
    return dg.MaterializeResult(metadata={
        "all_well": health.all_well, "headline": health.headline(),
        "failed_runs": health.failed_runs, "retried_steps": len(health.retried),
        "failing_ticks": len(health.failing_ticks), "stuck_partitions": len(health.stuck),
        "summarised_by": health.summarised_by or "-",
        "path": dg.MetadataValue.path(str(store.path(HEALTH_ASSET, day, "report.md"))),
        "report": dg.MetadataValue.md(markdown)})


health_assets = [run_health_report]

run_health_job = dg.define_asset_job(
    "run_health_job", selection=dg.AssetSelection.assets(run_health_report),
    executor_def=dg.in_process_executor,
    description="The run-health report of the last day: failed and retried runs with their "
                "fixes, causes by frequency, failing ticks and stuck partitions.")
