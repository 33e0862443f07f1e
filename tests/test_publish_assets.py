"""The publish group in Dagster (copy and thumbnails shown inline, a dry-run upload) and
`pattern-pivot publish` run as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import remixes_partitions
from assets.publish import (
    publish_copy,
    publish_report,
    publish_thumbnails,
    thumbnail_tests,
    youtube_upload,
)
from resources import (
    CatalogResource,
    EmbedderResource,
    LLMResource,
    MediaStoreResource,
    RemixStoreResource,
    StatsStoreResource,
)
from tests.publish_support import rendered_output

CLI = str(Path(sys.executable).with_name("pattern-pivot"))
REQUEST = "remix-pub"


@pytest.mark.slow
def test_publish_assets_show_copy_and_thumbnails_and_upload_only_as_a_dry_run(tmp_path):
    media, catalog = rendered_output(tmp_path, REQUEST)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(remixes_partitions.name, [REQUEST])
    resources = {
        "catalog": CatalogResource(path=str(catalog.path), watch_dir=str(tmp_path / "ch")),
        "media_store": MediaStoreResource(root=str(media)),
        "embedder": EmbedderResource(),
        "llm": LLMResource(),
        "remix_store": RemixStoreResource(path=str(tmp_path / "remixes.sqlite"),
                                          requests_dir=str(tmp_path / "requests")),
    }
    result = dg.materialize([publish_copy, publish_thumbnails, youtube_upload],
                            partition_key=REQUEST, instance=instance,
                            resources=resources)
    assert result.success
    copy_md = result.asset_materializations_for_node("publish_copy")[0].metadata
    assert "https://www.youtube.com/watch?v=" in copy_md["copy"].value
    thumbs_md = result.asset_materializations_for_node("publish_thumbnails")[0].metadata
    assert thumbs_md["thumbnails"].value.count("data:image/jpeg;base64,") == 3
    upload_md = result.asset_materializations_for_node("youtube_upload")[0].metadata
    assert upload_md["statuses"].value == {"1": "dry-run"}
    assert upload_md["youtube_ids"].value == {"1": ""}
    assert (media / "remix_video" / REQUEST / "variant-1.publish.json").is_file()
    # Nothing publishes on its own: no automation on any publish asset.
    for asset in (publish_copy, publish_thumbnails, youtube_upload):
        assert all(spec.automation_condition is None for spec in asset.specs)


@pytest.mark.slow
def test_thumbnail_tests_wait_without_oauth(tmp_path, monkeypatch):
    from datetime import date

    from pattern_pivot.publish.abtest import Rotation, RotationStore

    monkeypatch.delenv("PATTERN_PIVOT_YOUTUBE_TOKEN", raising=False)
    catalog_path = tmp_path / "catalog.sqlite"
    RotationStore(tmp_path / "published.sqlite").start(
        Rotation("vid00000001", ("a.jpg", "b.jpg", "c.jpg"), date(2026, 11, 1)))
    result = dg.materialize([thumbnail_tests], resources={"catalog": CatalogResource(
        path=str(catalog_path), watch_dir=str(tmp_path / "ch"))})
    meta = result.asset_materializations_for_node("thumbnail_tests")[0].metadata
    assert meta["states"].value == {"vid00000001": "waiting"}
    assert "no YouTube OAuth token" in meta["thumbnail_tests"].value
    assert "%" not in meta["thumbnail_tests"].value  # waiting shows no number


def _run(*args, env):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


@pytest.mark.slow
def test_cli_publish_json_is_a_dry_run_and_upload_needs_oauth(tmp_path):
    media, catalog = rendered_output(tmp_path, REQUEST)
    env = {"PATTERN_PIVOT_DATA_DIR": str(tmp_path),
           "PATTERN_PIVOT_YOUTUBE_CLIENT_SECRETS": "",
           "PATTERN_PIVOT_YOUTUBE_TOKEN": str(tmp_path / "token.json")}
    proc = _run("publish", REQUEST, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    [out] = json.loads(proc.stdout)
    assert out["status"] == "dry-run" and out["variant"] == 1
    assert len(out["thumbnails"]) == 3 and all(Path(t["path"]).is_file()
                                               for t in out["thumbnails"])
    assert out["requests"][0]["body"]["snippet"]["title"] == out["metadata"]["title"]
    assert out["requests"][0]["body"]["status"]["privacyStatus"] == "private"
    assert json.loads(Path(out["requests_path"]).read_text()) == out["requests"]

    unlisted = _run("publish", REQUEST, "--json", "--privacy", "unlisted", env=env)
    assert json.loads(unlisted.stdout)[0]["requests"][0]["body"]["status"][
        "privacyStatus"] == "unlisted"
    bad = _run("publish", REQUEST, "--variant", "7", env=env)
    assert bad.returncode == 2 and "variant 7" in bad.stderr and "pick one of: 1" in bad.stderr
    upload = _run("publish", REQUEST, "--upload", env=env)
    assert upload.returncode == 2
    assert "PATTERN_PIVOT_YOUTUBE_CLIENT_SECRETS" in upload.stderr
    assert not (tmp_path / "token.json").exists()


@pytest.mark.slow
def test_publish_report_joins_the_ledger_with_the_stats_store(tmp_path):
    from pattern_pivot.publish.upload import Publication, PublishLedger
    from pattern_pivot.stats.store import VideoStats

    PublishLedger(tmp_path / "published.sqlite").record(
        Publication("remix-gone", 1, "f", "VID1", "private", 0.0))
    stats = StatsStoreResource(sqlite_path=str(tmp_path / "stats.sqlite"))
    stats.store().create()
    resources = {
        "catalog": CatalogResource(path=str(tmp_path / "catalog.sqlite"),
                                   watch_dir=str(tmp_path / "ch")),
        "media_store": MediaStoreResource(root=str(tmp_path / "media")),
        "remix_store": RemixStoreResource(path=str(tmp_path / "remixes.sqlite"),
                                          requests_dir=str(tmp_path / "requests")),
        "stats_store": stats}
    before = dg.materialize([publish_report], resources=resources)
    meta = before.asset_materializations_for_node("publish_report")[0].metadata
    assert "none with stats yet" in meta["report"].value and "chart" not in meta
    stats.store().write_day("2026-11-30", [VideoStats("yt-VID1", "2026-11-30", "UC", 42, 4,
                                                       0, 1_796_000_000.0)])
    after = dg.materialize([publish_report], resources=resources)
    meta = after.asset_materializations_for_node("publish_report")[0].metadata
    assert "| mode | ? | 1 | 42 | 9.5% |" in meta["report"].value
    assert "data:image/png;base64," in meta["chart"].value
