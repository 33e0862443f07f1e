"""remix_narration and remix_video materialised in Dagster from plan files in a temporary
media store (remix_plan itself is another stage: here it is an external asset)."""

import json
import re
from pathlib import Path

import dagster as dg
import pytest

from assets.compose import remix_narration, remix_video
from assets.ingest import source_video, video_audio, video_transcript
from assets.partitions import remixes_partitions
from pattern_pivot.media.preview import MAX_PREVIEW_BYTES
from pattern_pivot.quality.checks import CHECK_NAMES
from pattern_pivot.remix.types import PLAN_ASSET, variant_name
from pattern_pivot.render.stage import rendered_outputs
from resources import (
    CatalogResource,
    MediaStoreResource,
    RendererResource,
    TTSResource,
    YouTubeResource,
)
from tests.render_support import COCKATOO, SMALL, narrated_plan, supercut_plan, talk_source

REQUEST = "remix-abc123"


@pytest.fixture
def setup(settings, catalog, tmp_path, tiny_transcriber):
    resources = {
        "catalog": CatalogResource(path=str(settings.catalog_path),
                                   watch_dir=str(settings.watch_dir)),
        "media_store": MediaStoreResource(root=str(settings.media_root)),
        "tts": TTSResource(),
        "renderer": RendererResource(frame_width=SMALL[0], frame_height=SMALL[1]),
    }
    # cockatoo.mp4 for b-roll (its sound track is near silent), JFK's speech for supercuts.
    video_id = catalog.register_file(COCKATOO).video_id
    talk_id = catalog.register_file(talk_source(tmp_path / "talk.mp4")).video_id
    ingest = {"catalog": resources["catalog"], "media_store": resources["media_store"]}
    source_video(dg.build_asset_context(partition_key=video_id), **ingest,
                 youtube=YouTubeResource())
    source_video(dg.build_asset_context(partition_key=talk_id), **ingest,
                 youtube=YouTubeResource())
    video_audio(dg.build_asset_context(partition_key=talk_id), **ingest)
    video_transcript(dg.build_asset_context(partition_key=talk_id), **ingest,
                     transcriber=tiny_transcriber)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(remixes_partitions.name, [REQUEST])
    return resources, (video_id, talk_id), instance, settings


def _write_plans(settings, *plans):
    folder = settings.media_root / PLAN_ASSET / REQUEST
    folder.mkdir(parents=True, exist_ok=True)
    for plan in plans:
        (folder / f"{variant_name(plan.variant)}.json").write_text(plan.model_dump_json())


def _materialise(resources, instance):
    return dg.materialize([remix_narration, remix_video], partition_key=REQUEST,
                          resources=resources, instance=instance, raise_on_error=False)


def test_plans_become_checked_videos_with_posters(setup):
    resources, (video_id, talk_id), instance, settings = setup
    _write_plans(settings, narrated_plan(REQUEST, 1, video_id=video_id),
                 supercut_plan(REQUEST, talk_id, 6.0, 4.0, variant=2))
    result = _materialise(resources, instance)
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == set(CHECK_NAMES)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    logs = [r.user_message for r in instance.all_logs(result.run_id)
            if r.step_key == "remix_video"]
    for variant in (1, 2):  # the encode's progress (ffmpeg -progress), ending at 100%
        assert any(re.fullmatch(rf"variant {variant} rendered 100% \(0:\d\d of 0:\d\d, "
                                r"(\d+) of \1 shots\)", m) for m in logs), logs
    narration_meta = result.asset_materializations_for_node("remix_narration")[0].metadata
    assert narration_meta["variants"].value == 2 and narration_meta["backend"].value == "piper"
    meta = result.asset_materializations_for_node("remix_video")[0].metadata
    assert meta["variants"].value == 2 and meta["all_checks_passed"].value is True
    for variant in (1, 2):  # each variant's poster and animated preview, shown in place
        assert meta[f"variant_{variant}"].value.endswith(f"/remix_video/{REQUEST}/variant-"
                                                         f"{variant}.jpg)")
        assert "data:image/webp;base64," in meta[f"variant_{variant}_embedded"].value
        preview = Path(meta[f"variant_{variant}_path"].value).read_bytes()
        assert preview[:4] == b"RIFF" and b"ANIM" in preview[:64]
        assert preview.count(b"ANMF") >= 10 and len(preview) <= MAX_PREVIEW_BYTES
    narration_dir = settings.media_root / "remix_narration" / REQUEST
    assert (narration_dir / "variant-1.wav").is_file()
    assert not (narration_dir / "variant-2.wav").exists()  # supercut: no narration
    words = json.loads((narration_dir / "variant-1.words.json").read_text())["words"]
    assert words[0]["text"] == "Why"
    outputs = rendered_outputs(settings.media_root, REQUEST)
    assert [o.variant for o in outputs] == [1, 2] and all(o.passed for o in outputs)
    assert all(o.path.stat().st_size > 10_000 and o.poster.is_file() for o in outputs)
    # Nothing changed: both assets reuse their files.
    again = _materialise(resources, instance)
    assert again.asset_materializations_for_node("remix_video")[0].metadata[
        "status"].value == "cached"


def test_a_failed_check_blocks_and_a_missing_plan_fails_clearly(setup):
    resources, (_, talk_id), instance, settings = setup
    result = _materialise(resources, instance)
    assert not result.success
    failure = result.failure_data_for_node("remix_narration")
    assert "materialise remix_plan for partition" in failure.error.message
    # 3 s of video for a 30 s target: the duration check fails, and it is blocking.
    _write_plans(settings, supercut_plan(REQUEST, talk_id, 2.0, 3.0, target=30.0))
    result = _materialise(resources, instance)
    assert not result.success  # a failed blocking check fails the step
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["duration_within_target"].passed
    assert checks["duration_within_target"].severity == dg.AssetCheckSeverity.ERROR
    assert all(c.passed for name, c in checks.items() if name != "duration_within_target")
    spec = next(s for s in remix_video.check_specs if s.name == "duration_within_target")
    assert spec.blocking
    outputs = rendered_outputs(settings.media_root, REQUEST)
    assert len(outputs) == 1 and not outputs[0].passed


def test_definitions_include_compose_and_tolerate_the_external_plan_asset():
    from pattern_pivot.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"remix_plan", "remix_narration", "remix_video"} <= keys
    assert defs.resolve_assets_def("remix_video").partitions_def.name == "remixes"
