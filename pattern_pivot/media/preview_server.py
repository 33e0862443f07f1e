"""Posters and animated previews served over local HTTP, so the Dagster UI shows them inline.

Dagster's UI renders a markdown metadata value in place only when it is shorter than 1,000
characters; an image embedded as a data URL never is, so it hides behind "[Show Markdown]".
A markdown image that points at this server is a hundred characters: the UI shows it without a
click. ``pattern-pivot ui`` runs the server beside the UI; it serves only the media store's
image files (posters and previews), read-only, on 127.0.0.1.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from pattern_pivot.settings import SettingError

PREVIEW_URL_ENV = "PATTERN_PIVOT_PREVIEW_URL"
DEFAULT_PREVIEW_URL = "http://127.0.0.1:3001"
IMAGE_TYPES = {".webp": "image/webp", ".jpg": "image/jpeg", ".png": "image/png"}


def preview_base_url() -> str:
    """Where the UI finds the previews (``PATTERN_PIVOT_PREVIEW_URL``), without a trailing /."""
    return (os.environ.get(PREVIEW_URL_ENV) or DEFAULT_PREVIEW_URL).rstrip("/")


def preview_url(media_root: Path, image: Path, base_url: str | None = None) -> str:
    relative = Path(image).resolve().relative_to(Path(media_root).resolve())
    return f"{base_url or preview_base_url()}/{quote(relative.as_posix())}"


def listen_address(base_url: str) -> tuple[str, int]:
    """The loopback host and port of the preview URL; anything else is refused (the server
    shows the media store to whoever reaches it)."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") \
            or not parts.port:
        raise SettingError(PREVIEW_URL_ENV, base_url, "is not a loopback http URL with a port",
                           f"set it to e.g. {DEFAULT_PREVIEW_URL} or unset it")
    return "127.0.0.1", parts.port


class _ImagesOnly(SimpleHTTPRequestHandler):
    """GET/HEAD of image files below the media root; everything else is 404."""

    def send_head(self):
        path = unquote(urlsplit(self.path).path)
        root = Path(self.directory).resolve()
        target = (root / path.lstrip("/")).resolve()
        if (not target.is_relative_to(root) or target.suffix.lower() not in IMAGE_TYPES
                or not target.is_file()):
            self.send_error(HTTPStatus.NOT_FOUND, "not a preview image")
            return None
        return super().send_head()

    def list_directory(self, path):  # never list the store
        self.send_error(HTTPStatus.NOT_FOUND, "not a preview image")
        return None

    def guess_type(self, path):
        return IMAGE_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")  # a re-render keeps the same name
        super().end_headers()

    def log_message(self, format, *args):  # one line per image would drown the UI's log
        pass


def start_preview_server(media_root: Path, base_url: str | None = None) -> ThreadingHTTPServer:
    """Serve ``media_root``'s images on the preview URL's port in a daemon thread; call
    ``shutdown()`` on the result to stop it."""
    host, port = listen_address(base_url or preview_base_url())
    Path(media_root).mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((host, port), partial(_ImagesOnly,
                                                       directory=str(media_root)))
    threading.Thread(target=server.serve_forever, name="preview-server", daemon=True).start()
    return server
