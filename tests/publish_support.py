"""A small rendered output for the publish tests (270x480, a few seconds, the real render
and checks), and a local stand-in for YouTube's upload endpoints (resumable protocol,
thumbnails.set, playlistItems.insert) reached through the real google-api-python-client."""

from __future__ import annotations

import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from pattern_pivot.catalog import Catalog
from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.remix.types import PLAN_ASSET, EditPlan, Shot, SourceSpan
from pattern_pivot.render.engine import RenderOptions
from pattern_pivot.render.sources import FileSources
from pattern_pivot.render.stage import load_plans, store_video
from pattern_pivot.transcription.types import Segment, Transcript, Word
from tests.conftest import ffmpeg
from tests.http_support import LocalServer
from tests.youtube_support import QUOTA_EXCEEDED, error_body

SIZE = (270, 480)
YT_SOURCE = "dQw4w9WgXcQ"
SAID = ("Cockatoos scream at dawn to keep the flock together while parrots in Australia "
        "call across the bush every morning").split()


def moving_source(path: Path, seconds: float) -> tuple[Path, Transcript]:
    """A moving test picture with a tone, and a transcript whose words cover it (the
    captions check needs words where there is sound)."""
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={seconds}",
           "-f", "lavfi", "-i", f"sine=f=330:d={seconds}", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))
    step = seconds / len(SAID)
    words = tuple(Word(i * step, (i + 0.9) * step, w) for i, w in enumerate(SAID))
    return path, Transcript("en", 1.0, seconds, (Segment(0.0, seconds, " ".join(SAID),
                                                         words),), "hand-made")


def rendered_output(root: Path, request_id: str = "remix-pub", target: float | None = None,
                    seconds: float = 3.0) -> tuple[Path, Catalog]:
    """Render a supercut of two catalog videos (a local file and a YouTube one) into the media
    store under ``root``: the MP4, poster, captions and check results. ``target`` other than
    the length makes the duration check fail. Returns (media root, catalog)."""
    media, catalog = root / "media", Catalog(root / "catalog.sqlite")
    source, transcript = moving_source(root / "Bird calls at dawn.mp4", seconds + 2)
    local = catalog.register_file(source).video_id
    yt = catalog.register_youtube(YT_SOURCE, "UCtest", "Why Cockatoos Scream").video_id
    half = seconds / 2
    plan = EditPlan(request_id=request_id, mode="supercut", aspect="9:16",
                    target_seconds=target or seconds, title="Stripes", shots=(
        Shot(kind="source", duration=half, source_audio=True, span=SourceSpan(
            video_id=local, start=0.5, end=0.5 + half, text="Cockatoos scream at dawn")),
        Shot(kind="source", duration=half, source_audio=True, span=SourceSpan(
            video_id=yt, start=1.2, end=1.2 + half, text="Parrots call across the bush"))))
    store = LocalMediaStore(media)
    path = store.path(PLAN_ASSET, request_id, "variant-1.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan.model_dump_json(), encoding="utf-8")
    sources = FileSources({local: source, yt: source}, {local: transcript, yt: transcript})
    for stored in load_plans(store, request_id):
        store_video(store, stored, sources, None,
                    RenderOptions(frame_size=SIZE))
    return media, catalog


@dataclass
class FakeUploads:
    """What the upload server saw and will answer."""

    fail_chunk: list[int] = field(default_factory=list)  # answer 503 to these PUT numbers
    quota_exceeded: bool = False
    thumbnail_forbidden: bool = False  # thumbnails.set answers 403 (unverified channel)
    calls: list[str] = field(default_factory=list)  # "METHOD path" of every request
    inserted: dict = field(default_factory=dict)  # the metadata of the videos.insert
    received: bytearray = field(default_factory=bytearray)
    total: int = 0
    puts: int = 0
    content_ranges: list[str] = field(default_factory=list)
    thumbnails: dict[str, bytes] = field(default_factory=dict)
    playlist_items: list[dict] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeUploads
    video_id = "vid00000001"

    def log_message(self, *args) -> None:
        pass

    def _json(self, status: int, data: dict, headers: dict | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        fake = self.fake
        fake.calls.append(f"POST {url.path}")
        fake.auth_headers.append(self.headers.get("Authorization", ""))
        body = self._body()
        if fake.quota_exceeded:
            return self._json(403, QUOTA_EXCEEDED)
        if url.path == "/upload/youtube/v3/videos" and query.get("uploadType") == "resumable":
            fake.inserted = {"params": query, "body": json.loads(body),
                             "length": int(self.headers.get("X-Upload-Content-Length", -1)),
                             "type": self.headers.get("X-Upload-Content-Type", "")}
            fake.total = fake.inserted["length"]
            location = f"https://{self.headers['Host']}/upload/youtube/v3/videos?uploadType=" \
                       f"resumable&upload_id=session-1"
            return self._json(200, {}, {"Location": location})
        if url.path == "/upload/youtube/v3/thumbnails/set" and fake.thumbnail_forbidden:
            return self._json(403, error_body(
                403, "The authenticated user doesn't have permissions to upload and set "
                "custom video thumbnails.", "forbidden", domain="youtube.thumbnail"))
        if url.path == "/upload/youtube/v3/thumbnails/set":
            fake.thumbnails[query["videoId"]] = body
            return self._json(200, {"kind": "youtube#thumbnailSetResponse", "items": [
                {"default": {"url": "https://i.ytimg.com/x.jpg", "width": 120,
                             "height": 90}}]})
        if url.path == "/youtube/v3/playlistItems":
            fake.playlist_items.append(json.loads(body))
            return self._json(200, {"kind": "youtube#playlistItem", "id": "pi-1",
                                    **json.loads(body)})
        self._json(404, error_body(404, "Not Found", "notFound"))

    def do_PUT(self) -> None:  # noqa: N802
        fake = self.fake
        url = urlparse(self.path)
        fake.calls.append(f"PUT {url.path}")
        data = self._body()
        content_range = self.headers.get("Content-Range", "")
        fake.content_ranges.append(content_range)
        if "upload_id=session-1" not in url.query:
            return self._json(404, error_body(404, "no such session", "notFound"))
        with fake.lock:
            fake.puts += 1
            status_query = re.fullmatch(r"bytes \*/(\d+|\*)", content_range)
            if not status_query:
                if fake.puts in fake.fail_chunk:  # lost: nothing of this chunk is kept
                    return self._json(503, error_body(503, "Backend Error", "backendError"))
                match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
                start, end = int(match[1]), int(match[2])
                assert start == len(fake.received), (start, len(fake.received))
                assert end - start + 1 == len(data)
                fake.received += data
            if len(fake.received) < fake.total:
                headers = {"Range": f"bytes=0-{len(fake.received) - 1}"} if fake.received \
                    else {}
                # 308 "Resume Incomplete" with no body, as YouTube answers.
                self.send_response(308)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
        snippet = dict(fake.inserted["body"]["snippet"], channelId="UCmine")
        return self._json(200, {"kind": "youtube#video", "id": self.video_id,
                                "snippet": snippet, "status": dict(
                                    fake.inserted["body"]["status"], uploadStatus="uploaded")})


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM): google-api-python-client keeps
    https for upload URLs whatever the endpoint, so the fake speaks TLS like YouTube."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class FakeUploadServer(LocalServer):
    """The upload endpoints over TLS on 127.0.0.1 (``ca_certs`` verifies it)."""

    def __init__(self, folder: Path, fake: FakeUploads | None = None):
        self.fake = fake or FakeUploads()
        super().__init__(type("Handler", (_Handler,), {"fake": self.fake}))
        self.ca_certs, key = self_signed_cert(folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_certs, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    @property
    def root_url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"
