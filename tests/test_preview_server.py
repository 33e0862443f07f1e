"""The preview server shows the media store's pictures and nothing else, on loopback only."""

import urllib.error
import urllib.request

import pytest

from pattern_pivot.media.preview_server import preview_url, start_preview_server
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
