"""The code location loads, and its pieces fit together."""

import dagster as dg

from pattern_pivot.definitions import defs


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"source_video", "video_audio", "video_transcript"} <= keys
    job = defs.resolve_job_def("ingest_job")
    assert job.partitions_def.name == "videos"
    assert defs.resolve_sensor_def("channel_folder_sensor")
    assert set(defs.resources) == {"catalog", "media_store", "transcriber", "embedder",
                                   "vector_store", "youtube", "stats_store", "remix_store",
                                   "llm", "tts", "renderer"}


def test_transcript_step_is_in_the_asr_pool():
    node = defs.resolve_assets_def("video_transcript")
    assert node.op.pool == "asr"


def _ops(assets_def: dg.AssetsDefinition) -> list[dg.OpDefinition]:
    return list(assets_def.node_def.iterate_op_defs())


def test_a_remix_holds_the_milvus_pool_only_while_it_retrieves():
    """A slow LLM writing a script must not block every other Milvus user: remix_plan is two
    steps, retrieval in the `milvus` pool, then writing in none (LLM calls wait on the
    network: README, Concurrency)."""
    ops = _ops(defs.resolve_assets_def("remix_plan"))
    [retrieve] = [op for op in ops if "vector_store" in op.required_resource_keys]
    [write] = [op for op in ops if "llm" in op.required_resource_keys]
    assert retrieve is not write, f"{write.name} writes scripts holding pool {write.pool!r}"
    assert retrieve.pool == "milvus" and write.pool is None
    # Writing reads what retrieval found: it runs after it, not beside it.
    graph = defs.resolve_assets_def("remix_plan").node_def
    assert graph.dependency_structure.input_to_upstream_outputs_for_node(write.name)
    # Everywhere: whatever reads Milvus waits for its pool; nothing that calls an LLM holds it.
    for assets_def in defs.resolve_asset_graph().assets_defs:
        for op in _ops(assets_def) if assets_def.is_executable else []:
            if "vector_store" in op.required_resource_keys:
                assert op.pool == "milvus", op.name
            if "llm" in op.required_resource_keys:
                assert op.pool != "milvus", op.name


def test_dg_check_defs_passes():
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run([str(Path(sys.executable).with_name("dg")), "check", "defs"],
                          cwd=repo, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All definitions loaded successfully" in proc.stdout + proc.stderr


def _parents(graph, key: str) -> set[str]:
    return {p.to_user_string() for p in graph.get(dg.AssetKey(key)).parent_keys}


def test_one_connected_lineage_from_catalog_to_remix():
    """Remixes are made from the catalog's transcripts and stats: the graph says so."""
    graph = defs.resolve_asset_graph()
    assert _parents(graph, "source_video") == {"video_catalog"}
    assert _parents(graph, "video_stats") == {"video_catalog"}
    assert _parents(graph, "catalog_index") == {"transcript_chunks"}
    assert _parents(graph, "remix_plan") == {"catalog_index", "video_stats"}
    assert _parents(graph, "channel_summary") == {"video_stats"}
    # The plan weights by the newest day of stats, not by all of them.
    dep = next(d for d in defs.resolve_assets_def("remix_plan").specs_by_key[
        dg.AssetKey("remix_plan")].deps if d.asset_key == dg.AssetKey("video_stats"))
    assert isinstance(dep.partition_mapping, dg.LastPartitionMapping)


def test_every_materializable_asset_is_built_by_a_job():
    """Nothing defined is left "Never materialized": each asset is in a job or is external."""
    built = set()
    for job in defs.jobs:
        built |= {k.to_user_string() for k in defs.resolve_job_def(job.name).asset_layer
                  .executable_asset_keys}
    graph = defs.resolve_asset_graph()
    materializable = {k.to_user_string() for k in graph.materializable_asset_keys}
    assert materializable <= built, materializable - built
    assert {"catalog_index", "channel_summary"} <= built


def test_readme_diagram_draws_the_real_asset_graph():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("```mermaid", 1)[1].split("```", 1)[0]
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)\s*$", block, re.MULTILINE))
    graph = defs.resolve_asset_graph()
    real = {(p.to_user_string(), k.to_user_string()) for k in graph.get_all_asset_keys()
            for p in graph.get(k).parent_keys}
    assert drawn == real, {"not in the graph": drawn - real, "not drawn": real - drawn}


def test_a_remix_is_one_group_and_claims_no_llm_it_may_not_use():
    graph = defs.resolve_asset_graph()
    groups = {k: graph.get(dg.AssetKey(k)).group_name
              for k in ("remix_plan", "remix_narration", "remix_video")}
    assert set(groups.values()) == {"compose"}, groups
    assert "langchain" not in graph.get(dg.AssetKey("remix_plan")).kinds
