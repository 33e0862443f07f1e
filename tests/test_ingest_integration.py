"""Materialise the ingest assets on real speech and hold the transcripts to reference text."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.ingest import ingest_assets
from assets.partitions import videos_partitions
from pattern_pivot.catalog import Catalog
from pattern_pivot.transcription import Transcript
from resources import CatalogResource, MediaStoreResource, TranscriberResource, YouTubeResource
from tests.conftest import JFK, librivox_references, make_settings, word_error_rate

# Whole Dagster runs (ingest, plan, narration, render): the end-to-end tier.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """LibriVox + JFK through dg.materialize with the default (base) model, once."""
    settings = make_settings(tmp_path_factory.mktemp("integration"))
    catalog = Catalog(settings.catalog_path)
    references = {**librivox_references(), JFK: JFK.with_name("jfk-reference.txt").read_text()}
    keys = {path: catalog.register_file(path).video_id for path in references}
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(videos_partitions.name, list(keys.values()))
    resources = {
        "catalog": CatalogResource(path=str(settings.catalog_path),
                                   watch_dir=str(settings.watch_dir)),
        "media_store": MediaStoreResource(root=str(settings.media_root)),
        "transcriber": TranscriberResource(model="base"),
        "youtube": YouTubeResource(),  # unconfigured: these are local files
    }
    results = {path: dg.materialize(ingest_assets, partition_key=key, instance=instance,
                                    resources=resources)
               for path, key in keys.items()}
    return settings, references, keys, results, instance, resources


def _transcript(settings, key) -> Transcript:
    return Transcript.read_json(settings.media_root / "video_transcript" / key / "transcript.json")


def test_librivox_word_error_rate_below_15_percent(ingested):
    settings, references, keys, results, *_ = ingested
    assert all(r.success for r in results.values())
    paths = [p for p in references if p != JFK]
    wer = word_error_rate([references[p] for p in paths],
                          [_transcript(settings, keys[p]).text for p in paths])
    assert wer < 0.15, f"LibriVox WER {wer:.3f}"


def test_jfk_word_error_rate_below_15_percent(ingested):
    settings, references, keys, *_ = ingested
    wer = word_error_rate([references[JFK]], [_transcript(settings, keys[JFK]).text])
    assert wer < 0.15, f"JFK WER {wer:.3f}"


def test_word_timestamps_are_ordered_and_inside_the_audio(ingested):
    settings, references, keys, *_ = ingested
    for path in references:
        transcript = _transcript(settings, keys[path])
        words = transcript.words
        assert words, path
        assert all(0 <= w.start <= w.end <= transcript.duration + 0.05 for w in words)
        assert all(a.start <= b.start for a, b in zip(words, words[1:]))
        assert transcript.language == "en"


def test_transcript_metadata_for_the_ui(ingested):
    settings, references, keys, results, *_ = ingested
    mats = results[JFK].asset_materializations_for_node("video_transcript")
    meta = mats[0].metadata
    assert meta["language"].value == "en"
    assert meta["word_count"].value >= 20
    assert "fellow Americans" in meta["excerpt"].value
    assert 0 < meta["real_time_factor"].value < 2
    assert abs(meta["duration_s"].value - 11.0) < 0.1
    source_meta = results[JFK].asset_materializations_for_node("source_video")[0].metadata
    assert source_meta["has_video"].value is False
    assert source_meta["duration_s"].value == pytest.approx(11.0, abs=0.05)


def test_rematerialising_reuses_every_output(ingested):
    settings, references, keys, results, instance, resources = ingested
    transcript_file = settings.media_root / "video_transcript" / keys[JFK] / "transcript.json"
    before = transcript_file.stat().st_mtime_ns
    again = dg.materialize(ingest_assets, partition_key=keys[JFK], instance=instance,
                           resources=resources)
    statuses = {node: again.asset_materializations_for_node(node)[0].metadata["status"].value
                for node in ("source_video", "video_audio", "video_transcript")}
    assert statuses == dict.fromkeys(statuses, "cached")
    assert transcript_file.stat().st_mtime_ns == before
