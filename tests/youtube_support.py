"""A local stand-in for the YouTube Data API v3 (and a media host for yt-dlp), bound to
127.0.0.1 and driven through the real google-api-python-client.

Response bodies follow the shapes the real API returns (channels incl. forHandle,
playlistItems with nextPageToken paging, videos with snippet/contentDetails/statistics,
Google's JSON error bodies for 403 quotaExceeded, 400 API_KEY_INVALID and 404
playlistNotFound). Deleted or private videos are simply absent from videos.list, as on
YouTube.
"""

from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlparse

from tests.http_support import LocalServer

API_KEY = "test-key-not-secret"


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@contextmanager
def hang_up_server() -> Iterator[str]:
    """A URL on 127.0.0.1 whose server reads each request and closes the connection without
    answering (a dropped connection); yields the URL."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            with conn:
                conn.recv(65536)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    finally:
        server.close()


def error_body(code: int, message: str, reason: str, domain: str = "global",
               status: str = "", details_reason: str = "") -> dict:
    error = {"code": code, "message": message,
             "errors": [{"message": message, "domain": domain, "reason": reason}]}
    if status:
        error["status"] = status
    if details_reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                             "reason": details_reason, "domain": "googleapis.com"}]
    return {"error": error}


QUOTA_EXCEEDED = error_body(
    403, "The request cannot be completed because you have exceeded your "
    "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.", "quotaExceeded",
    domain="youtube.quota")
KEY_INVALID = error_body(400, "API key not valid. Please pass a valid API key.", "badRequest",
                         status="INVALID_ARGUMENT", details_reason="API_KEY_INVALID")


def video_item(youtube_id: str, channel_id: str, title: str, views: int | None = 100,
               likes: int | None = 10, comments: int | None = 1,
               duration: str = "PT2M5S", published: str = "2026-10-01T12:00:00Z") -> dict:
    statistics = {"favoriteCount": "0"}
    for key, value in (("viewCount", views), ("likeCount", likes), ("commentCount", comments)):
        if value is not None:
            statistics[key] = str(value)  # the API sends counts as strings
    return {
        "kind": "youtube#video", "etag": f"etag-{youtube_id}", "id": youtube_id,
        "snippet": {"publishedAt": published, "channelId": channel_id, "title": title,
                    "description": "", "channelTitle": "Test Channel",
                    "thumbnails": {}, "categoryId": "22", "liveBroadcastContent": "none"},
        "contentDetails": {"duration": duration, "dimension": "2d", "definition": "hd",
                           "caption": "false", "licensedContent": False,
                           "contentRating": {}, "projection": "rectangular"},
        "status": {"uploadStatus": "processed", "privacyStatus": "public",
                   "license": "youtube", "embeddable": True, "publicStatsViewable": True,
                   "madeForKids": False},
        "statistics": statistics,
    }


@dataclass
class FakeYouTube:
    """The data the server answers from; tests change it between calls."""

    channels: dict[str, dict] = field(default_factory=dict)  # channel id -> {handle, title}
    uploads: dict[str, list[str]] = field(default_factory=dict)  # channel id -> ids (newest 1st)
    videos: dict[str, dict] = field(default_factory=dict)  # youtube id -> API item
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (body, type)
    quota_exceeded: bool = False
    fail_next: list[int] = field(default_factory=list)  # statuses to answer before real ones
    malformed_next: int = 0
    page_size: int | None = None  # force small pages to exercise paging
    requests: list[str] = field(default_factory=list)

    def add_channel(self, channel_id: str, handle: str, videos: list[dict]) -> None:
        self.channels[channel_id] = {"handle": handle, "title": f"Channel {handle}"}
        self.uploads[channel_id] = [v["id"] for v in videos]
        for item in videos:
            self.videos[item["id"]] = item

    def add_file(self, path: str, source: Path | bytes, content_type: str) -> None:
        body = source if isinstance(source, bytes) else Path(source).read_bytes()
        self.files[path] = (body, content_type)


def _channel_item(channel_id: str, info: dict) -> dict:
    return {"kind": "youtube#channel", "etag": "e", "id": channel_id,
            "snippet": {"title": info["title"], "description": "", "customUrl": info["handle"],
                        "publishedAt": "2020-01-01T00:00:00Z", "thumbnails": {}},
            "contentDetails": {"relatedPlaylists": {"likes": "",
                                                    "uploads": "UU" + channel_id[2:]}}}


def _list(kind: str, items: list, total: int | None = None, per_page: int = 5,
          next_token: str | None = None) -> dict:
    body = {"kind": f"youtube#{kind}ListResponse", "etag": "e", "items": items,
            "pageInfo": {"totalResults": len(items) if total is None else total,
                         "resultsPerPage": per_page}}
    if next_token:
        body["nextPageToken"] = next_token
    return body


class _Handler(BaseHTTPRequestHandler):
    fake: FakeYouTube

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict) -> None:
        self._send(status, json.dumps(data).encode(), "application/json; charset=UTF-8")

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        fake = self.fake
        if url.path in fake.files:
            body, content_type = fake.files[url.path]
            self._send(200, body, content_type)
            return
        if not url.path.startswith("/youtube/v3/"):
            self._send(404, b"not found", "text/plain")
            return
        fake.requests.append(url.path.rsplit("/", 1)[-1])
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if query.get("key") != API_KEY:
            return self._json(400, KEY_INVALID)
        if fake.quota_exceeded:
            return self._json(403, QUOTA_EXCEEDED)
        if fake.fail_next:
            status = fake.fail_next.pop(0)
            return self._json(status, error_body(status, "Backend Error", "backendError"))
        if fake.malformed_next:
            fake.malformed_next -= 1
            return self._send(200, b'{"kind": "youtube#videoListResponse", "items": [',
                              "application/json")
        resource = url.path[len("/youtube/v3/"):]
        handler = getattr(self, f"_{resource}", None)
        if handler is None:
            return self._json(404, error_body(404, "Not Found", "notFound"))
        handler(query)

    def _channels(self, query: dict) -> None:
        if "forHandle" in query:
            handle = query["forHandle"].lower()
            items = [_channel_item(cid, info) for cid, info in self.fake.channels.items()
                     if info["handle"].lower() == handle]
        else:
            items = [_channel_item(cid, self.fake.channels[cid])
                     for cid in query.get("id", "").split(",") if cid in self.fake.channels]
        # Unknown channels: 200 with no "items" key at all, as the real API answers.
        body = _list("channel", items)
        if not items:
            del body["items"]
            body["pageInfo"]["totalResults"] = 0
        self._json(200, body)

    def _playlistItems(self, query: dict) -> None:  # noqa: N802
        playlist = query.get("playlistId", "")
        channel_id = "UC" + playlist[2:]
        if not playlist.startswith("UU") or channel_id not in self.fake.uploads:
            return self._json(404, error_body(
                404, "The playlist identified with the request's <code>playlistId</code> "
                "parameter cannot be found.", "playlistNotFound", domain="youtube.playlistItem"))
        ids = self.fake.uploads[channel_id]
        per_page = min(int(query.get("maxResults", 5)), self.fake.page_size or 50)
        start = int(query.get("pageToken", "0") or 0)
        page = ids[start:start + per_page]
        items = [{"kind": "youtube#playlistItem", "etag": "e", "id": f"pi-{vid}",
                  "contentDetails": {"videoId": vid,
                                     "videoPublishedAt": "2026-10-01T12:00:00Z"}}
                 for vid in page]
        following = start + per_page
        self._json(200, _list("playlistItem", items, total=len(ids), per_page=per_page,
                              next_token=str(following) if following < len(ids) else None))

    def _videos(self, query: dict) -> None:
        ids = [i for i in query.get("id", "").split(",") if i]
        if len(ids) > 50:
            return self._json(400, error_body(400, "too many ids", "badRequest"))
        items = [self.fake.videos[i] for i in ids if i in self.fake.videos]
        self._json(200, _list("video", items, per_page=len(ids)))


class FakeYouTubeServer(LocalServer):
    """Serves a FakeYouTube on 127.0.0.1 from a thread; use as a context manager."""

    def __init__(self, fake: FakeYouTube | None = None):
        self.fake = fake or FakeYouTube()
        super().__init__(type("Handler", (_Handler,), {"fake": self.fake}))

    @property
    def url(self) -> str:
        return self.root_url + "/"
