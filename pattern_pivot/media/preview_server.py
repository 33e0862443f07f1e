"""Posters and animated previews served over local HTTP, so the Dagster UI shows them inline.

Dagster's UI renders a markdown metadata value in place only when it is shorter than 1,000
characters; an image embedded as a data URL never is, so it hides behind "[Show Markdown]".
A markdown image that points at this server is a hundred characters: the UI shows it without a
click. ``pattern-pivot ui`` runs the server beside the UI; it serves only the media store's
image files (posters and previews), read-only, on 127.0.0.1.

The URL is written into each materialisation when its asset runs, so the server must be on
that port whenever the UI shows it: ``serve_previews`` refuses a port that another program
holds (its pictures would be wrong or broken), and every answer carries ``IDENTITY_HEADER``
so that a second ``pattern-pivot ui`` on the same media store can tell the server is ours.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
import urllib.error
import urllib.request
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.settings import SettingError

PREVIEW_URL_ENV = "PATTERN_PIVOT_PREVIEW_URL"
DEFAULT_PREVIEW_URL = "http://127.0.0.1:3001"
IMAGE_TYPES = {".webp": "image/webp", ".jpg": "image/jpeg", ".png": "image/png"}
IDENTITY_HEADER = "X-Pattern-Pivot-Previews"  # value: media_store_id(the served root)


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


def media_store_id(media_root: Path) -> str:
    """Which media store a preview server serves, without saying where it is on disk."""
    return hashlib.sha256(str(Path(media_root).resolve()).encode()).hexdigest()[:16]


class _ImagesOnly(SimpleHTTPRequestHandler):
    """GET/HEAD of image files below the media root; everything else is 404."""

    identity = ""  # set per server (media_store_id)

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
        self.send_header(IDENTITY_HEADER, self.identity)
        super().end_headers()

    def log_message(self, format, *args):  # one line per image would drown the UI's log
        pass


def start_preview_server(media_root: Path, base_url: str | None = None) -> ThreadingHTTPServer:
    """Serve ``media_root``'s images on the preview URL's port in a daemon thread; call
    ``shutdown()`` on the result to stop it."""
    host, port = listen_address(base_url or preview_base_url())
    Path(media_root).mkdir(parents=True, exist_ok=True)
    handler = type("Handler", (_ImagesOnly,), {"identity": media_store_id(media_root)})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(media_root)))
    threading.Thread(target=server.serve_forever, name="preview-server", daemon=True).start()
    return server


def serving_identity(base_url: str, timeout: float = 2.0) -> str | None:
    """The media store a preview server at ``base_url`` serves; None when what answers there
    (if anything) is not one."""
    try:
        with urllib.request.urlopen(f"{base_url}/", timeout=timeout) as response:
            return response.headers.get(IDENTITY_HEADER)
    except urllib.error.HTTPError as error:  # ours says 404 to "/"
        return error.headers.get(IDENTITY_HEADER)
    except (OSError, ValueError):
        return None


def serve_previews(media_root: Path, base_url: str | None = None
                   ) -> ThreadingHTTPServer | None:
    """Start the preview server, or None when another ``pattern-pivot ui`` already serves
    this media store on that URL. Raises PatternPivotError, with the fix, when the URL is not
    a loopback one or its port is held by anything else."""
    base_url = base_url or preview_base_url()
    try:
        return start_preview_server(media_root, base_url)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise PatternPivotError(f"preview server {base_url}", f"cannot start ({exc})",
                                    f"set {PREVIEW_URL_ENV} to a free loopback port") from exc
    identity = serving_identity(base_url)
    if identity == media_store_id(media_root):
        return None
    held_by = ("the preview server of another media store (data directory)" if identity
               else "another program")
    raise PatternPivotError(
        f"preview port {listen_address(base_url)[1]} ({PREVIEW_URL_ENV}={base_url})",
        f"is held by {held_by}, so the UI's pictures would be wrong or missing",
        f"stop that, or set {PREVIEW_URL_ENV} to a free port, e.g. http://127.0.0.1:3011, "
        "both here and wherever assets run (pictures materialised before keep the old URL; "
        "re-materialise them, or use their [Show Markdown] copy)")
