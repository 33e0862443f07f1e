"""The Dagster UI in a real browser (Debian's headless Chromium through Playwright), as a new
user tries it: find a video by its title, open its partition, see its animated preview."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import title_tags, videos_partitions
from pattern_pivot.catalog import Catalog
from pattern_pivot.definitions import build_definitions
from pattern_pivot.media.preview_server import PREVIEW_URL_ENV, start_preview_server
from tests.browser_support import chromium_page
from tests.conftest import COCKATOO, JFK, make_settings

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "dagster-webserver exited"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {seconds:.0f} s")


@pytest.fixture
def small_catalog(tmp_path, monkeypatch):
    """Two videos (one with pictures, one audio only) with source_video materialised, their
    runs tagged with their titles, on a persistent instance in a temp DAGSTER_HOME."""
    settings = make_settings(tmp_path / "data")
    home = tmp_path / "dagster"
    home.mkdir()
    previews = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv(PREVIEW_URL_ENV, previews)
    catalog = Catalog(settings.catalog_path)
    instance = dg.DagsterInstance.get()
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    keys = {}
    for source, title in ((COCKATOO, "Sourdough starter basics"), (JFK, "Ask not what")):
        target = settings.watch_dir / (title + source.suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        key = catalog.register_file(target).video_id
        instance.add_dynamic_partitions(videos_partitions.name, [key])
        assert job.execute_in_process(partition_key=key, instance=instance,
                                      asset_selection=[dg.AssetKey("source_video")],
                                      tags=title_tags(title)).success
        keys[title] = key
    server = start_preview_server(settings.media_root, previews)
    yield settings, home, keys
    server.shutdown()
    server.server_close()
    instance.dispose()


@pytest.mark.slow
def test_a_video_found_by_its_title_shows_its_animated_preview(small_catalog):
    settings, home, keys = small_catalog
    port = free_port()
    webserver = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-m",
         "pattern_pivot.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/server_info", webserver)
        with chromium_page() as page:
            # The Runs page filtered by the title tag, as the README says.
            query = urllib.parse.quote("tag:pattern_pivot/title=Sourdough starter basics")
            page.goto(f"{base}/runs?q%5B0%5D={query}", timeout=60_000)
            row = page.get_by_text("partition: file-").first
            row.wait_for(timeout=60_000)
            found = re.findall(r"partition: (file-[0-9a-f]{16})", page.inner_text("body"))
            assert set(found) == {keys["Sourdough starter basics"]}  # not the other video
            page.goto(f"{base}/assets/source_video?view=partitions&partition={found[0]}",
                      timeout=60_000)
            # The preview is in place on the partition's page: no "[Show Markdown]" click.
            preview = page.locator("img[alt=preview]").first
            preview.wait_for(timeout=60_000)
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=preview.element_handle(), timeout=30_000)
            assert preview.get_attribute("src").endswith(f"/{found[0]}/preview.webp")
            assert preview.evaluate("img => img.naturalWidth") == 240
            poster = page.locator("img[alt=poster]").first
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=poster.element_handle(), timeout=30_000)
            assert page.get_by_text("Sourdough starter basics").count() >= 1  # its title
    finally:
        os.killpg(webserver.pid, 15)
        webserver.wait(timeout=30)
