"""Remixes in Dagster and from the CLI: requests from the launchpad job, a watched folder and
the command line become `remixes` partitions whose runs plan, narrate, render and check
videos, from a catalog of real speaking videos (tests/remix_support.build_media_catalog)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import remixes_partitions
from assets.remix import remix_plan
from assets.understand import catalog_index
from pattern_pivot.definitions import build_definitions
from pattern_pivot.quality.checks import CHECK_NAMES
from pattern_pivot.remix.request import parse_request
from pattern_pivot.remix.store import RemixStore
from pattern_pivot.remix.types import PLAN_ASSET, EditPlan
from pattern_pivot.render.stage import rendered_outputs
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from resources import LLMResource, RemixStoreResource
from sensors.remix_requests import remix_requests_sensor
from tests.conftest import REPO, make_settings
from tests.remix_support import FakeOpenAI, build_media_catalog
from tests.render_support import streams

# Whole Dagster runs (ingest, plan, narration, render): the end-to-end tier.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def media_world(tmp_path_factory):
    """Settings whose catalog, media store and Milvus Lite hold the sample channel's speaking
    videos, ingested (built once for the module: 1-1.5 min on two busy cores)."""
    settings = make_settings(tmp_path_factory.mktemp("remix-world") / "data")
    world = build_media_catalog(settings.data_dir, settings.catalog_path, SentenceEmbedder())
    return settings, world


@pytest.fixture(scope="module")
def world(media_world):
    return media_world[0]


@pytest.fixture(scope="module")
def ids(media_world):
    return media_world[1].ids


def _assert_rendered(video: Path, size: tuple[int, int]) -> None:
    """A real MP4 with an H.264 picture of ``size`` and an AAC sound track."""
    assert video.is_file() and video.suffix == ".mp4"
    info = streams(video)
    assert "mp4" in info["format"]["format_name"]
    kinds = {s["codec_type"]: s for s in info["streams"]}
    assert kinds["video"]["codec_name"] == "h264" and kinds["audio"]["codec_name"] == "aac"
    assert (kinds["video"]["width"], kinds["video"]["height"]) == size


@pytest.fixture(scope="module")
def defs(world):
    return build_definitions(world, llm=LLMResource())


def _sensor(settings, instance, cursor=None):
    resource = RemixStoreResource(path=str(settings.remix_store_path),
                                  requests_dir=str(settings.remix_requests_dir))
    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"remix_store": resource})
    return remix_requests_sensor(context)


def test_launchpad_request_then_sensor_run_renders_checked_videos(world, defs, ids):
    instance = dg.DagsterInstance.ephemeral()
    config = {"ops": {"register_remix": {"config": {
        "topic": "watering and repotting houseplants", "mode": "narrated", "format": "1:1",
        "length": 20, "variants": 2}}}}
    result = defs.resolve_job_def("register_remix_job").execute_in_process(
        run_config=config, instance=instance)
    request_id = result.output_for_node("register_remix")
    assert instance.has_dynamic_partition(remixes_partitions.name, request_id)

    # A request file dropped into the folder, and a bad one that is rejected with a reason.
    world.remix_requests_dir.mkdir(parents=True, exist_ok=True)
    (world.remix_requests_dir / "solar.yaml").write_text(
        "topic: solar panels and home batteries\nmode: supercut\nformat: '16:9'\nlength: 15\n")
    (world.remix_requests_dir / "bad.json").write_text('{"topic": "x", "mode": "podcast"}')
    tick = _sensor(world, instance)
    requested = sorted(r.partition_key for r in tick.run_requests)
    solar = parse_request({"topic": "solar panels and home batteries", "mode": "supercut",
                           "format": "16:9", "length": 15}).request_id
    assert requested == sorted([request_id, solar])
    for add in tick.dynamic_partitions_requests:
        instance.add_dynamic_partitions(remixes_partitions.name, list(add.partition_keys))
    again = _sensor(world, instance, cursor=tick.cursor)
    assert not again.run_requests  # each request runs once

    run = defs.resolve_job_def("remix_job").execute_in_process(
        partition_key=request_id, instance=instance)
    assert run.success
    [materialization] = run.asset_materializations_for_node(PLAN_ASSET)
    meta = materialization.metadata
    assert "sources:" in meta["variant_1"].value and meta["variant_1_writer"].value == \
        "extractive"
    for n in (1, 2):
        path = world.media_root / PLAN_ASSET / request_id / f"variant-{n}.json"
        plan = EditPlan.model_validate_json(path.read_text())
        assert plan.aspect == "1:1" and plan.mode == "narrated" and plan.variant == n
        assert all(s.span.video_id == ids["houseplant-care"] for s in plan.shots)
    checks = run.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == set(CHECK_NAMES) | {"script_reads_aloud"}
    assert all(c.passed for c in checks), [(c.check_name, c.description) for c in checks
                                           if not c.passed]
    rendered = rendered_outputs(world.media_root, request_id)
    assert [v.variant for v in rendered] == [1, 2]
    for variant in rendered:
        _assert_rendered(variant.path, (1080, 1080))
        assert variant.passed and variant.poster.is_file()
        assert {c.name for c in variant.checks} == set(CHECK_NAMES)


def test_an_off_topic_request_fails_only_its_partition_with_a_clear_reason(world, defs):
    instance = dg.DagsterInstance.ephemeral()
    request = parse_request({"topic": "medieval castle architecture", "mode": "supercut"})
    RemixStore(world.remix_store_path).save(request)
    instance.add_dynamic_partitions(remixes_partitions.name, [request.request_id])
    run = defs.resolve_job_def("remix_job").execute_in_process(
        partition_key=request.request_id, instance=instance, raise_on_error=False)
    assert not run.success
    failure = next(e for e in run.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert "the catalog has nothing on this topic" in description


def _slot_holders(instance: dg.DagsterInstance, pool: str) -> list[tuple[str, str]]:
    return [(s.run_id, s.step_key)
            for s in instance.event_log_storage.get_concurrency_info(pool).claimed_slots]


def test_milvus_is_free_for_other_runs_while_a_remix_script_is_written(world, tmp_path):
    """One slow LLM call must not block every Milvus user: while a remix's script is being
    written (the fake model answers only when told to), the `milvus` pool (one slot) is free
    and another run that reads Milvus (catalog_index) completes."""
    instance = dg.DagsterInstance.local_temp(str(tmp_path))  # persistent: pools apply
    instance.event_log_storage.set_concurrency_slots("milvus", 1)
    request = parse_request({"topic": "watering and repotting houseplants",
                             "mode": "narrated", "length": 20})
    RemixStore(world.remix_store_path).save(request)
    instance.add_dynamic_partitions(remixes_partitions.name, [request.request_id])
    model_may_answer = threading.Event()
    with FakeOpenAI([(200, "{}", model_may_answer)]) as model:
        llm = LLMResource(providers_json=json.dumps(
            [{"name": "slow", "base_url": model.base_url, "model": "m"}]), rounds=0)
        defs = build_definitions(world, llm=llm)
        remix: dict = {}

        def plan() -> None:
            try:
                remix["run"] = dg.materialize([remix_plan], partition_key=request.request_id,
                                              instance=instance, resources=defs.resources)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                remix["error"] = exc

        writer = threading.Thread(target=plan)
        writer.start()
        try:
            while not model.received.wait(timeout=1):  # until the model is asked
                assert writer.is_alive(), f"the remix ended before writing: {remix}"
            assert _slot_holders(instance, "milvus") == []
            index = dg.materialize([catalog_index],
                                   instance=instance, resources=defs.resources)
            assert index.success
            assert writer.is_alive()  # the script was still being written meanwhile
        finally:
            model_may_answer.set()
            writer.join()
    assert "error" not in remix, remix
    run = remix["run"]
    assert run.success
    [materialization] = run.asset_materializations_for_node(PLAN_ASSET)
    # The model's answer was unusable: the chain fell back, after asking it.
    assert materialization.metadata["variant_1_writer"].value == "extractive"
    assert model.requests and _slot_holders(instance, "milvus") == []


def test_cli_remix_json_prints_id_plan_sources_files_and_checks(world, ids):
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATTERN_PIVOT_DATA_DIR": str(world.data_dir)}
    env.pop("DAGSTER_HOME", None)
    cli = [str(Path(sys.executable).with_name("pattern-pivot")), "remix"]
    bad = subprocess.run([*cli, "bread", "--mode", "vlog"], env=env, capture_output=True,
                         text=True, cwd=world.data_dir)
    assert bad.returncode == 2 and "'mode'" in bad.stderr and "supercut" in bad.stderr
    proc = subprocess.run([*cli, "feeding a sourdough starter", "--mode", "supercut",
                           "--format", "9:16", "--length", "20", "--json"], env=env,
                          capture_output=True, text=True, cwd=world.data_dir, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["request_id"].startswith("remix-") and out["request"]["mode"] == "supercut"
    # The render step's one line per output (stderr: stdout is the JSON).
    assert re.search(r"^variant 1 rendered \(0:\d\d of 0:\d\d, (\d+) of \1 shots\) in \d+ s$",
                     proc.stderr, re.M), proc.stderr[-2000:]
    [variant] = out["variants"]
    assert variant["shots"][0]["role"] == "hook"
    assert all(s["source"]["video_id"] == ids["sourdough-bread"] for s in variant["shots"])
    files = variant["outputs"]
    assert files["plan"].endswith(f"{out['request_id']}/variant-1.json")
    assert os.path.isfile(files["plan"]) and os.path.isfile(files["audio"])
    _assert_rendered(Path(files["video"]), (1080, 1920))
    assert os.path.isfile(files["poster"])
    quality = variant["quality"]
    assert quality["passed"] is True and not quality["failed"], quality
    assert set(quality["checks"]) == set(CHECK_NAMES)
    store = RemixStore(world.remix_store_path)
    assert out["request_id"] in store.ids() and out["request_id"] not in store.pending()


def test_remix_pieces_are_registered():
    from pattern_pivot.definitions import defs as location

    assert {"remix_store", "llm"} <= set(location.resources)
    job = location.resolve_job_def("remix_job")
    assert job.partitions_def.name == "remixes"
    assert location.resolve_sensor_def("remix_requests_sensor")
    pools = {op.name: op.pool for op in location.resolve_assets_def(PLAN_ASSET).node_def
             .iterate_op_defs()}
    assert pools == {"retrieve_remix_sources": "milvus", "write_remix_plan": None}
