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


def test_dg_check_defs_passes():
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run([str(Path(sys.executable).with_name("dg")), "check", "defs"],
                          cwd=repo, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All definitions loaded successfully" in proc.stdout + proc.stderr
