"""Uploading one output to YouTube: the exact requests, OAuth, the resumable upload, and a
ledger that makes a second publish of the same version a no-op.

Requests (YouTube Data API v3, google-api-python-client's bundled discovery document):
- videos.insert, resumable: https://developers.google.com/youtube/v3/docs/videos/insert and
  https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol (chunks are
  multiples of 256 KiB except the last).
- thumbnails.set: https://developers.google.com/youtube/v3/docs/thumbnails/set
- playlistItems.insert: https://developers.google.com/youtube/v3/docs/playlistItems/insert
Retries follow Google's upload sample (https://developers.google.com/youtube/v3/guides/
uploading_a_video): 500/502/503/504 and connection errors are retried up to 10 times,
sleeping a random fraction of 2**retry seconds.

``status.containsSyntheticMedia`` ("Indicates if the video contains altered or synthetic
media") is in the videos resource of the discovery document shipped with
google-api-python-client 2.202 (revision 20261104); ``status.publishAt`` "can be set only if
the privacy status of the video is private".
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.publish.copy import PublishCopy
from pattern_pivot.sqlite_db import open_sqlite

CLIENT_SECRETS_ENV = "PATTERN_PIVOT_YOUTUBE_CLIENT_SECRETS"
TOKEN_ENV = "PATTERN_PIVOT_YOUTUBE_TOKEN"
# youtube.upload for videos.insert/thumbnails.set; youtube for playlistItems.insert.
SCOPES = ("https://www.googleapis.com/auth/youtube.upload",
          "https://www.googleapis.com/auth/youtube")
PRIVACY = ("private", "unlisted", "public")
CHUNK_UNIT = 256 * 1024
RETRIABLE_STATUS = (500, 502, 503, 504)
MAX_RETRIES = 10
UPLOADED_VIDEO_ID = "{uploaded video id}"  # placeholder in dry-run requests


class PublishError(PatternPivotError):
    """An output that cannot or may not be published, or a refused upload."""


@dataclass(frozen=True)
class UploadOptions:
    privacy: str = "private"
    publish_at: str = ""  # RFC 3339, e.g. 2026-12-24T18:00:00Z; only with privacy private
    made_for_kids: bool = False
    synthetic: bool | None = None  # None: decided by the output's mode
    category_id: str = "22"  # People & Blogs
    playlist_id: str = ""
    chunk_size: int = 8 * 1024 * 1024

    def check(self) -> None:
        if self.privacy not in PRIVACY:
            raise PublishError(f"privacy {self.privacy!r}", "is not a YouTube privacy status",
                               f"use one of {', '.join(PRIVACY)}")
        if self.publish_at and self.privacy != "private":
            raise PublishError(f"publish_at {self.publish_at!r}",
                               f"needs privacy private (YouTube schedules private videos), "
                               f"not {self.privacy}", "drop --privacy or the schedule")
        if self.chunk_size <= 0 or self.chunk_size % CHUNK_UNIT:
            raise PublishError(f"chunk size {self.chunk_size}",
                               "is not a positive multiple of 256 KiB",
                               f"use e.g. {8 * 1024 * 1024}")


def video_body(copy: PublishCopy, mode: str, options: UploadOptions) -> dict:
    """The videos.insert resource: snippet and status, every status field set explicitly."""
    synthetic = options.synthetic if options.synthetic is not None else mode in (
        "narrated", "faceless")
    status = {"privacyStatus": options.privacy,
              "selfDeclaredMadeForKids": options.made_for_kids,
              "containsSyntheticMedia": synthetic}
    if options.publish_at:
        status["publishAt"] = options.publish_at
    return {"snippet": {"title": copy.title, "description": copy.description,
                        "tags": list(copy.tags), "categoryId": options.category_id},
            "status": status}


def planned_requests(video: Path, thumbnail: Path | None, body: dict,
                     options: UploadOptions) -> list[dict]:
    """The requests an upload sends, in order, as data (what a dry run writes)."""
    requests = [{
        "method": "POST", "path": "/upload/youtube/v3/videos",
        "params": {"part": "snippet,status", "uploadType": "resumable"},
        "body": body,
        "media": {"path": str(video), "bytes": video.stat().st_size,
                  "mimeType": "video/mp4", "chunkSize": options.chunk_size}}]
    if thumbnail is not None:
        requests.append({
            "method": "POST", "path": "/upload/youtube/v3/thumbnails/set",
            "params": {"videoId": UPLOADED_VIDEO_ID, "uploadType": "media"},
            "media": {"path": str(thumbnail), "bytes": thumbnail.stat().st_size,
                      "mimeType": "image/jpeg"}})
    if options.playlist_id:
        requests.append({
            "method": "POST", "path": "/youtube/v3/playlistItems",
            "params": {"part": "snippet"},
            "body": {"snippet": {"playlistId": options.playlist_id, "resourceId": {
                "kind": "youtube#video", "videoId": UPLOADED_VIDEO_ID}}}})
    return requests


# -- the ledger ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Publication:
    output_id: str
    variant: int
    fingerprint: str
    youtube_id: str
    privacy: str
    published_at: float

    @property
    def url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.youtube_id}"


class PublishLedger:
    """(output, variant, content fingerprint) -> YouTube id, in a SQLite file beside the
    catalog: the same version of an output is never uploaded twice."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        conn = open_sqlite(self.path)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS publications (output_id TEXT NOT NULL,"
            " variant INTEGER NOT NULL, fingerprint TEXT NOT NULL, youtube_id TEXT NOT NULL,"
            " privacy TEXT NOT NULL, published_at REAL NOT NULL,"
            " PRIMARY KEY (output_id, variant, fingerprint))")
        return conn

    def get(self, output_id: str, variant: int, fingerprint: str) -> Publication | None:
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT * FROM publications WHERE output_id = ? AND variant = ? AND"
                " fingerprint = ?", (output_id, variant, fingerprint)).fetchone()
        return Publication(*row) if row else None

    def record(self, publication: Publication) -> None:
        with closing(self._connect()) as conn, conn:
            # INSERT OR IGNORE: a concurrent publish that won keeps its id.
            conn.execute("INSERT OR IGNORE INTO publications VALUES (?, ?, ?, ?, ?, ?)",
                         (publication.output_id, publication.variant, publication.fingerprint,
                          publication.youtube_id, publication.privacy,
                          publication.published_at))

    def all(self) -> list[Publication]:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM publications ORDER BY published_at").fetchall()
        return [Publication(*r) for r in rows]


# -- OAuth ----------------------------------------------------------------------------------

def write_token(path: Path, token_json: str) -> None:
    """Write the OAuth token readable by the owner only (0600), atomically: it is created
    with that mode, never briefly world-readable, and never logged."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token_json)
        os.chmod(tmp, 0o600)  # in case the file existed with a wider mode
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def oauth_credentials(token_path: Path, client_secrets: Path | None,
                      open_browser: bool = True, interactive: bool = True):
    """Stored credentials (refreshed when expired), else (``interactive``) the installed-app
    flow: a browser consent page and a redirect to a one-off server on 127.0.0.1."""
    from google.auth.exceptions import RefreshError, TransportError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    creds = None
    if token_path.is_file():
        try:
            creds = Credentials.from_authorized_user_file(str(token_path), list(SCOPES))
        except ValueError:
            creds = None  # unreadable: consent again below
    if creds and creds.expired and creds.refresh_token:
        try:
            creds.refresh(Request())
            write_token(token_path, creds.to_json())
        except RefreshError:
            creds = None  # revoked: consent again
        except TransportError as exc:
            raise PublishError("Google's OAuth token endpoint", f"cannot be reached to "
                               f"refresh the YouTube token ({type(exc).__name__})",
                               "check the network connection and try again") from exc
    if creds and creds.valid:
        return creds
    if not interactive:
        raise PublishError(f"YouTube token {token_path}", "is missing or no longer valid",
                           "authorise once from a terminal: pattern-pivot publish OUTPUT_ID "
                           "--upload (it opens the consent page)")
    if client_secrets is None or not client_secrets.is_file():
        raise PublishError(
            f"{CLIENT_SECRETS_ENV}={client_secrets or ''}",
            "does not name an OAuth client secrets file, and there is no valid token at "
            f"{token_path}",
            "create a Desktop OAuth client in Google Cloud Console (YouTube Data API v3 "
            f"enabled), download its JSON and set {CLIENT_SECRETS_ENV} to its path")
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), list(SCOPES))
    creds = flow.run_local_server(host="127.0.0.1", port=0, open_browser=open_browser)
    write_token(token_path, creds.to_json())
    return creds


def youtube_client(credentials, api_endpoint: str = "", ca_certs: str = ""):
    """The Data API client; ``api_endpoint`` roots every URL, uploads included, elsewhere
    (an API gateway, the tests' local server). The client keeps https for upload URLs
    whatever the endpoint says; ``ca_certs`` trusts a private CA for it."""
    import google_auth_httplib2
    import httplib2
    from googleapiclient.discovery import build

    options = {"api_endpoint": api_endpoint.strip().rstrip("/") + "/"} if api_endpoint else None
    transport = httplib2.Http(ca_certs=ca_certs or None, timeout=120)
    # 308 is "Resume Incomplete" in the upload protocol, not a redirect (as build_http does).
    transport.redirect_codes = transport.redirect_codes - {308}
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=transport)
    return build("youtube", "v3", http=http, static_discovery=True, cache_discovery=False,
                 client_options=options)


# -- the upload -----------------------------------------------------------------------------

def _reason(error) -> tuple[int, str, str]:
    status = int(getattr(error.resp, "status", 0) or 0)
    try:
        data = json.loads(error.content.decode("utf-8", "replace"))["error"]
        return status, (data.get("errors") or [{}])[0].get("reason", ""), data.get(
            "message", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return status, "", str(error)[:200]


def _api_error(what: str, error) -> PublishError:
    status, reason, message = _reason(error)
    if reason in ("quotaExceeded", "rateLimitExceeded", "dailyLimitExceeded"):
        return PublishError(what, f"was refused: the YouTube API quota is spent ({reason}); "
                            "an upload costs about 1,600 units of the default 10,000 a day",
                            "try again after midnight Pacific time, or ask Google for more "
                            "quota")
    if reason == "uploadLimitExceeded":
        return PublishError(what, "was refused: the channel has reached its upload limit",
                            "wait a day before uploading more")
    if status in (401, 403):
        return PublishError(what, f"was refused ({status} {reason or 'forbidden'}: "
                            f"{message})", f"delete the token file ({TOKEN_ENV}) and "
                            "authorise again with an account that owns the channel")
    return PublishError(what, f"failed ({status} {reason}: {message})",
                        "check the request in the dry-run JSON and try again")


def resumable_insert(request, *, max_retries: int = MAX_RETRIES,
                     sleep: Callable[[float], None] = time.sleep,
                     progress: Callable[[float], None] | None = None) -> dict:
    """Drive a resumable videos.insert to completion, retrying 5xx answers and dropped
    connections with exponential backoff (Google's sample); the client asks the server
    where to resume (``Content-Range: bytes */size``) after an error."""
    import httplib2
    from googleapiclient.errors import HttpError

    response, retry = None, 0
    while response is None:
        error = None
        try:
            status, response = request.next_chunk()
            if status is not None and progress:
                progress(status.progress())
        except HttpError as exc:
            if exc.resp.status not in RETRIABLE_STATUS:
                raise _api_error("videos.insert", exc) from exc
            error = f"HTTP {exc.resp.status}"
        except (httplib2.HttpLib2Error, ConnectionError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            retry += 1
            if retry > max_retries:
                raise PublishError("videos.insert", f"kept failing ({error}) after "
                                   f"{max_retries} retries", "try again later")
            sleep(random.random() * 2 ** retry)
    if "id" not in response:
        raise PublishError("videos.insert", f"answered without a video id: {response}",
                           "check the channel in YouTube Studio before retrying")
    return response


def upload(client, video: Path, thumbnail: Path | None, body: dict, options: UploadOptions,
           *, on_inserted: Callable[[dict], None] = lambda resource: None,
           sleep: Callable[[float], None] = time.sleep,
           progress: Callable[[float], None] | None = None) -> dict:
    """Upload ``video`` with ``body``, set its thumbnail, add it to the playlist; the
    inserted video resource. ``on_inserted`` runs as soon as the video exists (record its
    id there: a failure after it must never lead to a second upload)."""
    from googleapiclient.errors import HttpError
    from googleapiclient.http import MediaFileUpload

    media = MediaFileUpload(str(video), mimetype="video/mp4", chunksize=options.chunk_size,
                            resumable=True)
    request = client.videos().insert(part="snippet,status", body=body, media_body=media)
    video_resource = resumable_insert(request, sleep=sleep, progress=progress)
    video_id = video_resource["id"]
    on_inserted(video_resource)
    try:
        if thumbnail is not None:
            client.thumbnails().set(videoId=video_id, media_body=MediaFileUpload(
                str(thumbnail), mimetype="image/jpeg")).execute(num_retries=3)
        if options.playlist_id:
            client.playlistItems().insert(part="snippet", body={"snippet": {
                "playlistId": options.playlist_id,
                "resourceId": {"kind": "youtube#video", "videoId": video_id}}}).execute(
                num_retries=3)
    except HttpError as exc:
        cause = _api_error("thumbnails.set/playlistItems.insert", exc)
        raise PublishError(f"video https://www.youtube.com/watch?v={video_id}",
                           f"is uploaded, but {cause.subject} {cause.problem}",
                           f"set the thumbnail or playlist in YouTube Studio ({cause.fix})"
                           ) from exc
    return video_resource
