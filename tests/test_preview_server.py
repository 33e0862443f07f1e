"""The preview server shows the media store's pictures and nothing else, on loopback only."""

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.media.preview_server import (
    PREVIEW_URL_ENV,
    preview_url,
    serve_previews,
    start_preview_server,
)
from pattern_pivot.settings import SettingError
from tests.test_ui_browser import free_port


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


def test_serves_pictures_only(tmp_path):
    media = tmp_path / "media"
    folder = media / "remix_video" / "remix-0123456789abcdef"
    folder.mkdir(parents=True)
    (folder / "variant-1.webp").write_bytes(b"RIFF....WEBP")
    (folder / "variant-1.checks.json").write_text("{}")
    (tmp_path / "secret.png").write_bytes(b"x")
    base = f"http://127.0.0.1:{free_port()}"
    server = start_preview_server(media, base)
    try:
        url = preview_url(media, folder / "variant-1.webp", base)
        assert url == f"{base}/remix_video/remix-0123456789abcdef/variant-1.webp"
        assert _get(url) == (200, "image/webp", b"RIFF....WEBP")
        assert _get(f"{base}/remix_video/remix-0123456789abcdef/variant-1.checks.json")[0] == 404
        assert _get(f"{base}/remix_video/")[0] == 404  # no listing
        assert _get(f"{base}/../secret.png")[0] == 404
        assert _get(f"{base}/%2e%2e/secret.png")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_listens_on_loopback_only(tmp_path):
    for url in ("http://0.0.0.0:3001", "http://192.168.1.5:3001", "https://127.0.0.1:3001",
                "http://127.0.0.1"):
        with pytest.raises(SettingError, match="PATTERN_PIVOT_PREVIEW_URL"):
            start_preview_server(tmp_path, url)


class _SomethingElse(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"not ours")

    def log_message(self, format, *args):
        pass


@pytest.fixture
def other_program():
    """An unrelated web server on the preview port."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _SomethingElse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_port_held_by_another_program_is_refused_with_the_fix(tmp_path, other_program):
    with pytest.raises(PatternPivotError) as refused:
        serve_previews(tmp_path, other_program)
    message = str(refused.value)
    assert "held by another program" in message and PREVIEW_URL_ENV in message
    assert other_program in message and "Fix:" in message


def test_a_second_ui_shares_the_server_of_its_own_media_store_only(tmp_path):
    base = f"http://127.0.0.1:{free_port()}"
    first = serve_previews(tmp_path / "media", base)
    try:
        assert serve_previews(tmp_path / "media", base) is None  # already served: reuse
        with pytest.raises(PatternPivotError, match="another media store"):
            serve_previews(tmp_path / "other-media", base)
    finally:
        first.shutdown()
        first.server_close()


def test_ui_refuses_a_taken_preview_port_before_starting_dagster(tmp_path, monkeypatch,
                                                                 other_program):
    from typer.testing import CliRunner

    from pattern_pivot.cli import app

    (tmp_path / "dagster").mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(PREVIEW_URL_ENV, other_program)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["ui"])
    assert result.exit_code == 2, result.output
    assert "held by another program" in result.output
    assert not (tmp_path / "dagster" / "workspace.yaml").exists()  # dagster never started
