"""The HTTP API and creator page against a real server (uvicorn in a subprocess, httpx and
Debian's chromium as clients): one real upload of an 11 s talk is processed once (ingest, then
shorts) and shared by the tests below; bad uploads, keys and ranges use the same server."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from pattern_pivot.api.security import (
    Keys,
    RateLimiter,
    check_bind,
    host_name,
    is_loopback,
    key_hash,
    read_key_hashes,
    same_origin,
)
from pattern_pivot.api.uploads import UploadError, safe_file_name, signature_matches
from pattern_pivot.errors import PatternPivotError
from tests.api_support import API_KEY, ApiServer, talk_clip

# -- quick: names, signatures, keys, rate ----------------------------------------------------


@pytest.mark.parametrize("client_name, stored", [
    ("talk.mp4", "talk.mp4"),
    ("../../../etc/evil.mp4", "evil.mp4"),
    ("..\\..\\windows\\evil.MOV", "evil.mov"),
    ("/abs/path/x.mkv", "x.mkv"),
    (".hidden.mp4", "hidden.mp4"),
    ("sp ace;rm -rf *.mp4", "sp_ace_rm_-rf.mp4"),
    ("caf\u00e9 \u00fcber.webm", "cafe_uber.webm"),
    ("nul\x00byte.mp4", "nul_byte.mp4"),
    ("....mp4", "upload.mp4"),
])
def test_client_file_names_become_safe_names(client_name, stored):
    assert safe_file_name(client_name) == stored


@pytest.mark.parametrize("client_name", ["evil.exe", "..", "", "video.mp4/", "a.mp4.sh"])
def test_a_name_without_a_media_extension_is_refused(client_name):
    with pytest.raises(UploadError) as error:
        safe_file_name(client_name)
    assert error.value.status == 415 and "extension" in str(error.value)


def test_signatures_match_real_containers_only(tmp_path):
    from tests.conftest import COCKATOO, JFK

    assert signature_matches(".mp4", COCKATOO.read_bytes()[:64])
    assert signature_matches(".wav", JFK.read_bytes()[:64])
    assert not signature_matches(".mp4", JFK.read_bytes()[:64])  # a WAV renamed .mp4
    assert not signature_matches(".mp4", b"<html><script>alert(1)</script>")


def test_keys_are_held_as_hashes_and_checked_whole():
    keys = Keys(read_key_hashes(f"{key_hash('alpha-key')}, {key_hash('beta-key')}"))
    assert keys.match("beta-key") == key_hash("beta-key")
    assert keys.match("beta-ke") is None and keys.match("") is None and keys.match(None) is None
    with pytest.raises(PatternPivotError, match="not SHA-256"):
        read_key_hashes("alpha-key")  # a key pasted where its hash belongs


def test_no_key_is_served_on_loopback_only():
    check_bind("127.0.0.1", ())
    check_bind("::1", ())
    check_bind("0.0.0.0", (key_hash("k"),))
    with pytest.raises(PatternPivotError, match="no API key"):
        check_bind("0.0.0.0", ())
    assert is_loopback(host_name("127.0.0.1:8000")) and is_loopback(host_name("[::1]:80"))
    assert not is_loopback(host_name("attacker.example:8000"))
    assert same_origin(None, "127.0.0.1:8000")
    assert same_origin("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not same_origin("http://attacker.example", "127.0.0.1:8000")


def test_cli_refuses_to_serve_other_machines_without_a_key(monkeypatch):
    from typer.testing import CliRunner

    from pattern_pivot.cli import app

    monkeypatch.delenv("PATTERN_PIVOT_API_KEY_SHA256", raising=False)
    result = CliRunner().invoke(app, ["api", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "no API key is configured" in result.output
    monkeypatch.setenv("PATTERN_PIVOT_API_KEY_SHA256", "my-secret-key")
    result = CliRunner().invoke(app, ["api"])
    assert result.exit_code == 2 and "not SHA-256" in result.output
    assert "my-secret-key" not in result.output  # a misplaced key is never echoed


@pytest.mark.parametrize("url, youtube_id", [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"),
    ("https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=10", "dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ?si=x", "dQw4w9WgXcQ"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
])
def test_youtube_links_give_their_video_id(url, youtube_id):
    from pattern_pivot.api.app import youtube_id_from_url

    assert youtube_id_from_url(url) == youtube_id


@pytest.mark.parametrize("url", ["https://evil.example/watch?v=dQw4w9WgXcQ",
                                 "https://www.youtube.com/watch?v=../../etc",
                                 "file:///etc/passwd", "https://youtu.be/short"])
def test_other_links_are_not_youtube_videos(url):
    from pattern_pivot.api.app import youtube_id_from_url

    with pytest.raises(UploadError, match="not a YouTube video link"):
        youtube_id_from_url(url)


def test_rate_limiter_refills_at_its_rate():
    clock = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, now=lambda: clock[0])
    assert limiter.allow("a") == 0 and limiter.allow("a") == 0
    wait = limiter.allow("a")
    assert wait == pytest.approx(1.0)
    assert limiter.allow("b") == 0  # per client
    clock[0] += 1.0
    assert limiter.allow("a") == 0


def test_output_folders_match_the_stages():
    from pattern_pivot.api import outputs
    from pattern_pivot.highlights.stage import SHORTS_ASSET, SHORTS_INDEX
    from pattern_pivot.render.stage import VIDEO_ASSET
    from pattern_pivot.subtitles.stage import SUBTITLES_ASSET

    assert (outputs.SHORTS_ASSET, outputs.SHORTS_INDEX, outputs.VIDEO_ASSET,
            outputs.SUBTITLES_ASSET) == (SHORTS_ASSET, SHORTS_INDEX, VIDEO_ASSET,
                                         SUBTITLES_ASSET)


# -- a real server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    api = ApiServer(root / "data", max_upload_mb=2)
    yield api
    api.stop()


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    return talk_clip(tmp_path_factory.mktemp("talk") / "talk.mp4")


@pytest.fixture(scope="module")
def finished(server, talk):
    """One upload processed to the end: (upload response, final status, percentages seen)."""
    with open(talk, "rb") as handle:
        response = server.client.post(
            "/api/upload-video", files={"file": ("JFK talk.mp4", handle, "video/mp4")},
            data={"num_clips": "1", "aspect_ratio": "9:16", "min_length": "5",
                  "max_length": "11"})
    assert response.status_code == 202, response.text
    upload = response.json()
    status, seen = server.wait_done(upload["processing_id"])
    return upload, status, seen


@pytest.mark.slow
def test_upload_is_processed_into_checked_shorts_with_progress(server, finished):
    upload, status, seen = finished
    assert upload["file_name"] == "JFK_talk.mp4" and upload["video_id"].startswith("file-")
    assert status["status"] == "completed", (status, server.log_text())
    assert status["progress_percentage"] == 100.0
    assert seen == sorted(seen), seen  # progress never goes back
    assert [r["job"] for r in status["runs"]] == ["ingest_job", "shorts_job"]
    assert all(r["status"] == "SUCCESS" and r["steps_done"] == r["steps_total"] > 0
               for r in status["runs"])
    [clip] = status["outputs"]["clips"]
    assert clip["passed"] and clip["checks"]["face_in_frame"]["passed"]
    assert 5 <= clip["end"] - clip["start"] <= 11
    video = server.client.get(clip["video_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height",
                            "-of", "json", "-"], input=video.content, capture_output=True,
                           check=True)
    sizes = {(s["width"], s["height"]) for s in json.loads(probe.stdout)["streams"]
             if "width" in s}
    assert sizes == {(1080, 1920)}
    srt = next(c for c in status["outputs"]["captions"] if c["filename"] == "en.srt")
    text = server.client.get(srt["url"]).text
    assert "country" in text.lower() and "-->" in text
    jobs = server.client.get("/api/jobs").json()["jobs"]
    assert upload["processing_id"] in {j["processing_id"] for j in jobs}


@pytest.mark.slow
def test_downloads_serve_byte_ranges(server, finished):
    url = finished[1]["outputs"]["clips"][0]["video_url"]
    whole = server.client.get(url).content
    part = server.client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    assert part.content == whole[100:200]
    tail = server.client.get(url, headers={"Range": "bytes=-64"})
    assert tail.status_code == 206 and tail.content == whole[-64:]
    beyond = server.client.get(url, headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416


@pytest.mark.slow
def test_downloads_only_serve_the_jobs_own_files(server, finished):
    job = finished[0]["processing_id"]
    for name in ("..%2F..%2Fcatalog.sqlite", "short-1.checks.json", "short-9.mp4",
                 "..", "en.srt"):
        assert server.client.get(f"/api/download/clips/{job}/{name}").status_code == 404, name
    assert server.client.get("/api/download/clips/job-0000000000000000/short-1.mp4"
                             ).status_code == 404
    assert server.client.get("/api/status/..%2F..%2Fetc").status_code == 404


@pytest.mark.slow
def test_bad_uploads_are_refused_and_leave_nothing(server, talk):
    post = server.client.post
    uploads = server.data_dir / "media" / "uploads"
    before = set(uploads.iterdir()) if uploads.is_dir() else set()

    empty = post("/api/upload-video", files={"file": ("e.mp4", b"", "video/mp4")})
    assert empty.status_code == 400 and "empty (0 bytes)" in empty.json()["detail"]
    html = post("/api/upload-video", files={"file": ("x.mp4", b"<html>" + b"x" * 500)})
    assert html.status_code == 415 and "does not start like a .mp4" in html.json()["detail"]
    exe = post("/api/upload-video", files={"file": ("run.exe", talk.read_bytes())})
    assert exe.status_code == 415 and "extension" in exe.json()["detail"]
    no_file = post("/api/upload-video", data={"num_clips": "2"}, files={"other": ("a", b"1")})
    assert no_file.status_code == 400 and "'file'" in no_file.json()["detail"]
    bad_field = post("/api/upload-video", files={"file": ("t.mp4", talk.read_bytes())},
                     data={"aspect_ratio": "4:3"})
    assert bad_field.status_code == 422 and "aspect_ratio" in bad_field.json()["detail"]
    silent = post("/api/upload-video", files={"file": ("silent.mp4", _silent_video(talk))})
    assert silent.status_code == 422 and "no audio" in silent.json()["detail"]

    big = talk.read_bytes()[:64] + b"\0" * (3 * 1024 * 1024)  # the limit here is 2 MB
    declared = post("/api/upload-video", files={"file": ("big.mp4", big)})
    assert declared.status_code == 413 and "limit" in declared.json()["detail"]
    streamed = post("/api/upload-video", content=_chunked_form("big.mp4", big),
                    headers={"Content-Type": "multipart/form-data; boundary=BOUNDARY"})
    assert streamed.status_code == 413 and "larger than the limit" in streamed.json()["detail"]

    after = set(uploads.iterdir()) if uploads.is_dir() else set()
    assert after == before  # every refused upload removed what it wrote
    assert not any(server.data_dir.rglob("*.part"))


@pytest.mark.slow
def test_keys_are_required_and_checked(server):
    bare = httpx.get(f"{server.url}/api/jobs")
    wrong = httpx.get(f"{server.url}/api/jobs", headers={"X-API-Key": API_KEY + "x"})
    bearer = httpx.get(f"{server.url}/api/jobs", headers={"Authorization": f"Bearer {API_KEY}"})
    assert bare.status_code == wrong.status_code == 401
    assert "API key" in wrong.json()["detail"]
    assert bearer.status_code == 200
    upload = httpx.post(f"{server.url}/api/upload-video", files={"file": ("t.mp4", b"\0")},
                        headers={"X-API-Key": "nope"})
    assert upload.status_code == 401
    session = httpx.post(f"{server.url}/api/session", json={"key": "nope"})
    assert session.status_code == 401 and "set-cookie" not in session.headers
    cross = server.client.post("/api/remix", json={"topic": "x"},
                               headers={"Origin": "http://attacker.example"})
    assert cross.status_code == 403


@pytest.mark.slow
def test_path_tricks_in_the_name_stay_inside_the_job_and_delete_keeps_shared_outputs(
        server, finished, talk):
    response = server.client.post(
        "/api/upload-video", files={"file": ("../../../../tmp/evil.mp4", talk.read_bytes())},
        data={"num_clips": "1", "min_length": "5", "max_length": "11"})
    assert response.status_code == 202, response.text
    job = response.json()["processing_id"]
    assert response.json()["file_name"] == "evil.mp4"
    stored = server.data_dir / "media" / "uploads" / job / "evil.mp4"
    assert stored.read_bytes() == talk.read_bytes()
    deleted = server.client.delete(f"/api/jobs/{job}")
    assert deleted.status_code == 200 and deleted.json()["removed"] == [f"uploads/{job}"]
    assert not stored.parent.exists()
    assert server.client.get(f"/api/status/{job}").status_code == 404
    # The first job shows the same video's shorts: they were kept.
    first = finished[1]["outputs"]["clips"][0]["video_url"]
    assert server.client.get(first).status_code == 200


@pytest.mark.slow
def test_remix_and_youtube_requests_are_validated_queued_and_deletable(server):
    empty = server.client.post("/api/remix", json={"topic": " ", "mode": "narrated"})
    assert empty.status_code == 422 and "topic" in empty.json()["detail"]
    mode = server.client.post("/api/remix", json={"topic": "sea", "mode": "musical"})
    assert mode.status_code == 422 and "mode" in mode.json()["detail"]
    queued = server.client.post("/api/faceless-video/generate",
                                json={"topic": "why the sea is salty", "length": 20})
    assert queued.status_code == 202
    job = queued.json()["processing_id"]
    status = server.client.get(f"/api/faceless-video/status/{job}").json()
    assert status["kind"] == "faceless" and status["params"]["mode"] == "faceless"
    assert server.client.get(f"/api/status/{job}").status_code == 200
    assert server.client.delete(f"/api/jobs/{job}").status_code == 200
    assert server.client.get(f"/api/faceless-video/status/{job}").status_code == 404
    bad_link = server.client.post("/api/youtube-video", json={"url": "https://x.example/v"})
    assert bad_link.status_code == 422 and "YouTube" in bad_link.json()["detail"]
    link = server.client.post("/api/youtube-video",
                              json={"url": "https://youtu.be/dQw4w9WgXcQ", "num_clips": 1})
    assert link.status_code == 202 and link.json()["video_id"] == "yt-dQw4w9WgXcQ"
    assert server.client.delete(f"/api/jobs/{link.json()['processing_id']}").status_code == 200


@pytest.mark.slow
def test_health_options_and_docs(server):
    health = server.client.get("/api/health")
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["ok"] and {"dagster", "milvus", "stats_store", "media_store"} <= set(body)
    options = server.client.get("/api/faceless-video/options").json()
    assert options["formats"] == ["9:16", "1:1", "16:9"]
    assert "faceless" in options["modes"] and "en->pt" in options[
        "subtitle_translations_offline"]
    schema = server.client.get("/openapi.json").json()
    for path in ("/api/upload-video", "/api/status/{processing_id}",
                 "/api/download/clips/{processing_id}/{filename}",
                 "/api/download/captions/{processing_id}/{filename}",
                 "/api/faceless-video/generate", "/api/faceless-video/status/{processing_id}",
                 "/api/faceless-video/options", "/api/health", "/api/jobs",
                 "/api/jobs/{processing_id}", "/api/remix", "/api/youtube-channel"):
        assert path in schema["paths"], path
    assert server.client.get("/docs").status_code == 200


@pytest.mark.slow
def test_creator_page_uploads_shows_progress_and_plays_the_short(server, finished, talk):
    from tests.browser_support import chromium_page

    with chromium_page() as page:
        page.goto(server.url + "/")
        page.wait_for_selector("#key-box:not([hidden])")  # the page asks for the key
        page.fill("#key", API_KEY)
        page.click("#key-form button")
        page.wait_for_selector("#key-box[hidden]", state="attached")
        clip = talk.with_name("browser-clip.mp4")
        clip.write_bytes(talk.read_bytes())
        page.set_input_files("#file", str(clip))
        page.fill("input[name=num_clips]", "1")
        page.fill("input[name=min_length]", "5")
        page.fill("input[name=max_length]", "11")
        page.click("#upload-button")
        card = page.wait_for_selector(".job:has-text('browser-clip.mp4')", timeout=60_000)
        page.wait_for_selector(".job:has-text('browser-clip.mp4') .state.completed",
                               timeout=600_000)
        page.wait_for_selector(".job:has-text('browser-clip.mp4') video")
        assert card.query_selector("progress").evaluate("p => p.value") == 100
        assert card.query_selector_all(".checks li.pass")
        assert not card.query_selector_all(".checks li.fail")
        video = card.query_selector("video")
        played = video.evaluate("""async (v) => {
            v.muted = true;
            if (v.readyState < 2) await new Promise(r => v.addEventListener('canplay', r,
                                                                            {once: true}));
            await v.play();
            const start = v.currentTime;
            await new Promise(r => setTimeout(r, 1500));
            return {ready: v.readyState, start, now: v.currentTime, error: v.error};
        }""")
        assert played["error"] is None and played["ready"] >= 2
        assert played["now"] > played["start"], played
        download = card.query_selector("a[download]").get_attribute("href")
        assert download.startswith("/api/download/clips/job-")


def _silent_video(talk) -> bytes:
    out = talk.with_name("silent.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", str(talk), "-an",
                    "-c", "copy", str(out)], check=True)
    return out.read_bytes()


def _chunked_form(name: str, data: bytes):
    """A multipart body sent without a declared length (chunked), in 64 KiB pieces."""
    yield (b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
           + name.encode() + b"\"\r\nContent-Type: video/mp4\r\n\r\n")
    for start in range(0, len(data), 65536):
        yield data[start:start + 65536]
    yield b"\r\n--BOUNDARY--\r\n"


def test_a_finished_jobs_outputs_version_changes_when_a_stage_rewrites_them(tmp_path):
    from pattern_pivot.api.outputs import outputs_version

    folder = tmp_path / "video_shorts" / "file-0123456789abcdef"
    before = outputs_version(tmp_path, "shorts", "file-0123456789abcdef")
    folder.mkdir(parents=True)
    (folder / ".tmp").write_text("{}")
    made = outputs_version(tmp_path, "shorts", "file-0123456789abcdef")
    (folder / ".tmp").rename(folder / "shorts.json")  # how the media store publishes
    assert len({before, made, outputs_version(tmp_path, "shorts",
                                              "file-0123456789abcdef")}) == 3


def _guarded(keys: tuple[str, ...], per_minute: int = 600):
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from pattern_pivot.api.guard import Guard

    async def ok(request):
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/api/x", ok, methods=["GET", "POST"]), Route("/", ok)])
    return TestClient(Guard(app, Keys(keys), RateLimiter(per_minute, burst=3)),
                      base_url="http://127.0.0.1:8000")


def test_keyless_guard_serves_loopback_hosts_and_same_origin_posts_only():
    client = _guarded(())
    assert client.get("/api/x").status_code == 200
    rebinding = client.get("/api/x", headers={"Host": "attacker.example:8000"})
    assert rebinding.status_code == 403 and "loopback" in rebinding.json()["detail"]
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 200  # the page
    cross = client.post("/api/x", content=b"{}", headers={"Origin": "http://attacker.example"})
    assert cross.status_code == 403
    same = client.post("/api/x", content=b"{}", headers={"Origin": "http://127.0.0.1:8000"})
    assert same.status_code == 200


def test_guard_checks_keys_bounds_json_bodies_and_rate():
    client = _guarded((key_hash("right"),))
    assert client.get("/api/x").status_code == 401
    assert client.get("/api/x", headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.get("/api/x", headers={"Host": "example.org",  # keys: any host is fine
                                         "X-API-Key": "right"}).status_code == 200
    chunked = client.post("/api/x", content=iter([b"{", b"}"]), headers={"X-API-Key": "right"})
    assert chunked.status_code == 411
    huge = client.post("/api/x", content=b"x" * 300_000, headers={"X-API-Key": "right"})
    assert huge.status_code == 413
    limited = [client.get("/api/x", headers={"X-API-Key": "right"}).status_code
               for _ in range(5)]
    assert 429 in limited and "Retry-After" in client.get(
        "/api/x", headers={"X-API-Key": "right"}).headers


def test_a_youtube_link_keeps_what_the_catalog_knows_of_the_video(tmp_path):
    from pattern_pivot.api.app import _add_youtube
    from pattern_pivot.catalog import Catalog

    catalog = Catalog(tmp_path / "catalog.sqlite")
    catalog.register_youtube("dQw4w9WgXcQ", "UC123", "The real title", 1.0e9, 212.0)
    assert _add_youtube(catalog, "dQw4w9WgXcQ").title == "The real title"
    assert catalog.youtube_entry("yt-dQw4w9WgXcQ").channel_id == "UC123"
    assert _add_youtube(catalog, "abcdefghijk").video_id == "yt-abcdefghijk"


# -- a YouTube channel, through the sync code path and the real Data API client ---------------

BIRDS = "UCbirdsbirdsbirdsbirds01"  # UC + 22 characters, as the Data API's ids


@pytest.mark.parametrize("text, ref", [
    (BIRDS, BIRDS), ("@birds", "@birds"), (" @birds.of-prey ", "@birds.of-prey"),
    (f"https://www.youtube.com/channel/{BIRDS}", BIRDS),
    ("https://youtube.com/@birds/videos?view=0", "@birds"),
])
def test_channel_references_give_the_id_or_handle(text, ref):
    from pattern_pivot.api.channels import channel_ref

    assert channel_ref(text) == ref


@pytest.mark.parametrize("text", ["birds", "UCshort", "@b", "https://x.example/@birds",
                                  "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "@a/../b"])
def test_other_text_is_not_a_channel(text):
    from pattern_pivot.api.channels import channel_ref

    with pytest.raises(UploadError, match="not a YouTube channel") as caught:
        channel_ref(text)
    assert caught.value.status == 422


def test_a_channel_without_an_api_key_names_the_variable(tmp_path, monkeypatch):
    from pattern_pivot.api.channels import sync_channel
    from pattern_pivot.catalog import Catalog
    from pattern_pivot.settings import Settings

    monkeypatch.delenv("PATTERN_PIVOT_YOUTUBE_API_KEY", raising=False)
    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(tmp_path))
    settings = Settings.from_env()
    with pytest.raises(UploadError, match="PATTERN_PIVOT_YOUTUBE_API_KEY: is not set") as caught:
        sync_channel(settings, Catalog(settings.catalog_path), "@birds", 10)
    assert caught.value.status == 503  # the server's setting, not the caller's mistake
    assert Catalog(settings.catalog_path).entries() == []


@pytest.mark.slow
def test_a_channel_is_registered_in_batches_through_the_api(tmp_path):
    from pattern_pivot.catalog import Catalog
    from tests.youtube_support import API_KEY as YOUTUBE_KEY
    from tests.youtube_support import FakeYouTube, FakeYouTubeServer, video_item

    fake = FakeYouTube(page_size=2)
    fake.add_channel(BIRDS, "@birds", [video_item(f"bird{i:07d}", BIRDS, f"Bird {i}")
                                       for i in range(3)])
    with FakeYouTubeServer(fake) as youtube:
        api = ApiServer(tmp_path / "data", extra_env={
            "PATTERN_PIVOT_YOUTUBE_API_KEY": YOUTUBE_KEY,
            "PATTERN_PIVOT_YOUTUBE_API_ENDPOINT": youtube.url})
        try:
            first = api.client.post("/api/youtube-channel",
                                    json={"channel": "https://www.youtube.com/@birds",
                                          "limit": 2})
            assert first.status_code == 200, first.text
            body = first.json()
            assert body["channel"]["id"] == BIRDS
            assert [v["video_id"] for v in body["new_videos"]] == ["yt-bird0000000",
                                                                  "yt-bird0000001"]
            assert body["new_videos"][0]["title"] == "Bird 0"
            assert not body["backlog_complete"] and body["quota_units"] >= 3
            # The next call goes on where the first stopped (the sync state file).
            rest = api.client.post("/api/youtube-channel", json={"channel": BIRDS}).json()
            assert [v["video_id"] for v in rest["new_videos"]] == ["yt-bird0000002"]
            assert rest["backlog_complete"]
            again = api.client.post("/api/youtube-channel", json={"channel": "@birds"}).json()
            assert again["new_videos"] == []
            missing = api.client.post("/api/youtube-channel", json={"channel": "@nobody"})
            assert missing.status_code == 404 and "@nobody" in missing.json()["detail"]
            bad = api.client.post("/api/youtube-channel", json={"channel": "birds; ls"})
            assert bad.status_code == 422 and "not a YouTube channel" in bad.json()["detail"]
            too_many = api.client.post("/api/youtube-channel",
                                       json={"channel": "@birds", "limit": 501})
            assert too_many.status_code == 422 and "1-500" in too_many.json()["detail"]
            catalog = Catalog(tmp_path / "data" / "catalog.sqlite")
            assert sorted(e.video_id for e in catalog.entries()) == [
                "yt-bird0000000", "yt-bird0000001", "yt-bird0000002"]
            assert catalog.youtube_entry("yt-bird0000001").channel_id == BIRDS
            assert YOUTUBE_KEY not in api.log_text()
        finally:
            api.stop()
