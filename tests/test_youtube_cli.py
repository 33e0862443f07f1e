"""The stats and youtube commands of the pattern-pivot CLI, run as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.youtube_support import (
    API_KEY,
    FakeYouTube,
    FakeYouTubeServer,
    closed_port_url,
    video_item,
)

REPO = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).with_name("pattern-pivot"))]
CHANNEL = "UCclichannel000000000001"


def _run(*args, env, cwd):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": "",
                               **env})


@pytest.mark.slow
def test_stats_create_table_on_dynamodb(tmp_path):
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        url = f"http://{host}:{port}"
        env = {"PATTERN_PIVOT_STATS_BACKEND": "dynamodb",
               "PATTERN_PIVOT_DYNAMODB_ENDPOINT": url, "PATTERN_PIVOT_DYNAMODB_TABLE": "cli-t",
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_REGION": "eu-west-1", "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data")}
        first = _run("stats", "create-table", env=env, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("created  dynamodb:cli-t@")
        assert _run("stats", "create-table", env=env, cwd=tmp_path).stdout.startswith("exists")
        tables = boto3.client("dynamodb", endpoint_url=url, region_name="eu-west-1",
                              aws_access_key_id="testing",
                              aws_secret_access_key="testing").list_tables()["TableNames"]
        assert "cli-t" in tables
    finally:
        moto.stop()


@pytest.mark.slow
def test_youtube_sync_registers_new_uploads_once(tmp_path):
    fake = FakeYouTube(page_size=1)
    fake.add_channel(CHANNEL, "@cli", [video_item(f"cli{i:08d}", CHANNEL, f"Clip {i}")
                                       for i in range(3)])
    with FakeYouTubeServer(fake) as server:
        env = {"PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data"),
               "PATTERN_PIVOT_YOUTUBE_API_KEY": API_KEY,
               "PATTERN_PIVOT_YOUTUBE_API_ENDPOINT": server.url}
        proc = _run("youtube", "sync", "--channel", "@cli", env=env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split()[::3] == ["yt-cli00000000", "yt-cli00000001", "yt-cli00000002"]
        assert "3 new videos; 5 quota units" in proc.stderr  # 3 playlist pages walked
        server.fake.requests.clear()
        again = _run("youtube", "sync", "--channel", "@cli", env=env, cwd=tmp_path)
        assert again.returncode == 0 and again.stdout == ""
        # Nothing new: the newest page alone says so, not a walk of the whole playlist.
        assert server.fake.requests == ["channels", "playlistItems"]
        server.fake.quota_exceeded = True
        refused = _run("youtube", "sync", "--channel", "@cli", env=env, cwd=tmp_path)
        assert refused.returncode == 2 and "quota" in refused.stderr
        assert "Fix:" in refused.stderr
        latest = _run("stats", "latest", "--json", env=env, cwd=tmp_path)
        assert latest.returncode == 0 and json.loads(latest.stdout) == []


@pytest.mark.slow
def test_youtube_sync_against_a_closed_port_names_the_endpoint_not_the_key(tmp_path):
    url = closed_port_url()
    env = {"PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data"),
           "PATTERN_PIVOT_YOUTUBE_API_KEY": API_KEY, "PATTERN_PIVOT_YOUTUBE_API_ENDPOINT": url}
    proc = _run("youtube", "sync", "--channel", "@cli", env=env, cwd=tmp_path)
    assert proc.returncode == 2
    assert f"error: YouTube Data API at {url}: could not be reached" in proc.stderr
    assert "Fix: check PATTERN_PIVOT_YOUTUBE_API_ENDPOINT" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert API_KEY not in proc.stdout + proc.stderr
