"""Partitions are content hashes; runs and materialisations carry the human title too."""

import dagster as dg
import pytest

from assets.partitions import TITLE_TAG, videos_partitions
from pattern_pivot.catalog import Catalog
from pattern_pivot.definitions import build_definitions
from pattern_pivot.remix.request import parse_request
from resources import CatalogResource, RemixStoreResource
from sensors.channel_folder import channel_folder_sensor
from sensors.remix_requests import remix_requests_sensor
from tests.conftest import JFK, copy_as


def test_folder_sensor_runs_carry_the_video_title(settings):
    copy_as(JFK, settings.watch_dir / "Ask not what your country can do.wav")
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"catalog": CatalogResource(path=str(settings.catalog_path),
                                              watch_dir=str(settings.watch_dir),
                                              settle_seconds=0.0)})
    [run] = channel_folder_sensor(context).run_requests
    assert run.partition_key.startswith("file-")
    assert run.tags[TITLE_TAG] == "Ask not what your country can do"


def test_remix_sensor_runs_carry_the_topic(settings):
    resource = RemixStoreResource(path=str(settings.remix_store_path),
                                  requests_dir=str(settings.remix_requests_dir))
    resource.store().save(parse_request({"topic": "Sourdough   starter"}), source="ui")
    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(),
                                      resources={"remix_store": resource})
    [run] = remix_requests_sensor(context).run_requests
    assert run.tags[TITLE_TAG].lower() == "sourdough starter"


_QUERY = """
query ($tag: String!) {
  runsOrError(filter: {tags: [{key: "pattern_pivot/title", value: $tag}]}) {
    ... on Runs { results { runId tags { key value } } }
  }
  assetOrError(assetKey: {path: ["source_video"]}) {
    ... on Asset { assetMaterializations {
      partition runId metadataEntries { label ... on TextMetadataEntry { text } } } }
  }
}
"""


@pytest.mark.slow
def test_titles_are_visible_through_dagsters_graphql_api(settings, tiny_transcriber,
                                                         monkeypatch):
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    from pattern_pivot.cli.runs import run_ingest

    defs = build_definitions(settings, transcriber=tiny_transcriber)
    key = Catalog(settings.catalog_path).register_file(
        copy_as(JFK, settings.data_dir / "Kennedy inaugural.wav")).video_id
    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(settings.data_dir))
    import pattern_pivot.definitions as location

    # A real instance on disk: the GraphQL context reads it across processes.
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(videos_partitions.name, [key])
        [outcome] = run_ingest(instance, [key], defs, say=lambda _: None)
        assert outcome.success, outcome.error
        with define_out_of_process_context(location.__file__, "defs", instance) as context:
            result = execute_dagster_graphql(context, _QUERY, {"tag": "Kennedy inaugural"})
    [run] = result.data["runsOrError"]["results"]
    assert run["runId"] == outcome.run_id
    [materialization] = result.data["assetOrError"]["assetMaterializations"]
    assert materialization["partition"] == key
    titles = [e["text"] for e in materialization["metadataEntries"] if e["label"] == "title"]
    assert titles == ["Kennedy inaugural"]


def test_scripts_cite_sources_by_title_and_time_with_the_id_beside_it():
    from pattern_pivot.remix.types import Script, ScriptLine, SourceSpan
    from pattern_pivot.remix.writers.base import script_markdown

    span = SourceSpan(video_id="file-3ac07ae43e48e7c6", start=62.0, end=70.5)
    script = Script(request_id="remix-1", title="Starters", writer="extractive",
                    lines=(ScriptLine(text="Feed it daily.", sources=(span,)),))
    shown = script_markdown(script, {"file-3ac07ae43e48e7c6": "Sourdough starter basics"})
    assert "Sourdough starter basics 1:02.0–1:10.5 (`file-3ac07ae43e48e7c6`)" in shown
    # Without a title (a video since removed) the id and times still say where it came from.
    assert "`file-3ac07ae43e48e7c6` 1:02.0–1:10.5" in script_markdown(script)
