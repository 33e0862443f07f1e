"""Publishing a real (small) rendered output: thumbnails, the dry run field by field, the
resumable upload through google-api-python-client against a local YouTube (TLS, 308 Resume
Incomplete, a 503 mid-upload), idempotency, blocking checks, quota errors and the token."""

import json
import os
import stat

import pytest
from google.oauth2.credentials import Credentials
from PIL import Image

from pattern_pivot.publish import stage
from pattern_pivot.publish.limits import THUMBNAIL_MAX_BYTES
from pattern_pivot.publish.thumbnails import pick_frames, score_frames
from pattern_pivot.publish.upload import (
    PublishError,
    PublishLedger,
    UploadOptions,
    oauth_credentials,
    write_token,
    youtube_client,
)
from tests.conftest import ffmpeg
from tests.publish_support import YT_SOURCE, FakeUploads, FakeUploadServer, rendered_output
from tests.render_support import GRACE

REQUEST = "remix-pub"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One rendered output, its copy and thumbnails, shared by the module's tests."""
    root = tmp_path_factory.mktemp("publish")
    media, catalog = rendered_output(root, REQUEST)
    [output] = stage.find_outputs(media, REQUEST)
    copy, _ = stage.output_copy(media, output, "cockatoo calls", catalog, lambda: None)
    thumbs, _ = stage.output_thumbnails(media, output, copy)
    return root, media, catalog, output, copy, thumbs


def _no_client():
    raise AssertionError("no YouTube client may be made here")


def test_three_thumbnails_1280x720_jpeg_under_2mb_with_the_title(made):
    *_, output, copy, thumbs = made
    assert len(thumbs) >= 3
    assert len({t.time for t in thumbs}) == len(thumbs)  # different frames
    for thumb in thumbs:
        image = Image.open(thumb.path)
        assert image.format == "JPEG" and image.size == (1280, 720)
        assert thumb.path.stat().st_size == thumb.bytes <= THUMBNAIL_MAX_BYTES
    # The 9:16 output is fitted whole over a blurred cover of itself: the centre shows the
    # frame at full height, the sides are not black bars.
    pixels = Image.open(thumbs[1].path).convert("L")
    side = [pixels.getpixel((40, y)) for y in range(300, 420, 10)]
    assert max(side) > 20
    # The title is drawn white with a black outline inside the lower safe area (thumb 1).
    band = Image.open(thumbs[0].path).convert("L").crop((77, 470, 1203, 677))
    values = list(band.getdata())
    assert sum(v > 240 for v in values) > 2000 and sum(v < 15 for v in values) > 2000


def test_transitions_are_flagged_and_never_picked(tmp_path):
    """A hard cut from a test picture to a face: the sample across the cut is a transition,
    the face is detected, and the picks avoid the cut."""
    first, second, video = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "cut.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", "-vf", "setsar=1",
           "-pix_fmt", "yuv420p", str(first))
    ffmpeg("-loop", "1", "-i", str(GRACE), "-t", "2", "-r", "25", "-vf",
           "scale=320:240,setsar=1,format=yuv420p", str(second))
    ffmpeg("-i", str(first), "-i", str(second), "-filter_complex",
           "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", str(video))
    scores = score_frames(video)
    flagged = [s.time for s in scores if s.transition]
    assert flagged and all(1.2 <= t <= 2.8 for t in flagged)
    assert all(s.faces == 0 for s in scores if s.time < 1.5)
    assert all(s.faces >= 1 for s in scores if s.time > 2.5)
    picks = pick_frames(scores, 2, min_gap=0.5)
    assert not any(p.transition for p in picks)
    assert picks[0].faces >= 1  # a face outranks a sharper test picture


def test_dry_run_writes_the_exact_requests_and_sends_nothing(made):
    root, media, catalog, output, copy, thumbs = made
    ledger = PublishLedger(root / "dry.sqlite")
    result = stage.publish(output, copy, thumbs, ledger, UploadOptions(),
                           client_factory=_no_client)
    assert result.status == "dry-run" and result.youtube_id == ""
    assert result.requests_path == output.rendered.path.with_name("variant-1.publish.json")
    assert json.loads(result.requests_path.read_text()) == result.requests
    insert, thumb = result.requests
    assert insert["method"] == "POST" and insert["path"] == "/upload/youtube/v3/videos"
    assert insert["params"] == {"part": "snippet,status", "uploadType": "resumable"}
    snippet, status = insert["body"]["snippet"], insert["body"]["status"]
    assert snippet["title"] == copy.title == copy.titles[0]
    assert snippet["description"] == copy.description
    assert snippet["tags"] == list(copy.tags) and snippet["categoryId"] == "22"
    assert status == {"privacyStatus": "private", "selfDeclaredMadeForKids": False,
                      "containsSyntheticMedia": False}  # a supercut: the speakers' own voices
    assert insert["media"] == {"path": str(output.rendered.path),
                               "bytes": output.rendered.path.stat().st_size,
                               "mimeType": "video/mp4", "chunkSize": 8 * 1024 * 1024}
    assert thumb["path"] == "/upload/youtube/v3/thumbnails/set"
    assert thumb["media"]["path"] == str(thumbs[0].path)
    assert f"https://www.youtube.com/watch?v={YT_SOURCE}&t=1s" in snippet["description"]
    assert "Bird calls at dawn (from 0:00)" in snippet["description"]
    assert ledger.all() == []
    # Scheduling: publishAt rides on a private video; another privacy is refused.
    scheduled = stage.publish(output, copy, thumbs, ledger, UploadOptions(
        publish_at="2026-12-24T18:00:00Z", playlist_id="PLx"), client_factory=_no_client)
    assert scheduled.requests[0]["body"]["status"]["publishAt"] == "2026-12-24T18:00:00Z"
    assert scheduled.requests[2]["body"]["snippet"]["playlistId"] == "PLx"
    with pytest.raises(PublishError, match="needs privacy private"):
        stage.publish(output, copy, thumbs, ledger, UploadOptions(
            privacy="public", publish_at="2026-12-24T18:00:00Z"))


def _client(server):
    return lambda: youtube_client(Credentials(token="test-token"), server.root_url,
                                  str(server.ca_certs))


def test_upload_resumes_after_a_503_and_a_second_publish_is_a_no_op(made, tmp_path):
    root, media, catalog, output, copy, thumbs = made
    ledger = PublishLedger(tmp_path / "published.sqlite")
    sleeps = []
    with FakeUploadServer(tmp_path / "tls", FakeUploads(fail_chunk=[1])) as server:
        result = stage.publish(output, copy, thumbs, ledger,
                               UploadOptions(playlist_id="PLmine"), do_upload=True,
                               client_factory=_client(server), sleep=sleeps.append,
                               catalog=catalog)
        fake = server.fake
    assert result.status == "uploaded" and result.youtube_id == "vid00000001"
    assert bytes(fake.received) == output.rendered.path.read_bytes()
    assert fake.inserted["body"] == result.requests[0]["body"]  # what the dry run showed
    assert fake.inserted["length"] == output.rendered.path.stat().st_size
    assert fake.inserted["type"] == "video/mp4"
    size = output.rendered.path.stat().st_size
    # First PUT lost to a 503; the client asked where to resume, then sent it again.
    assert fake.content_ranges == [f"bytes 0-{size - 1}/{size}", f"bytes */{size}",
                                   f"bytes 0-{size - 1}/{size}"]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 2  # backoff: random() * 2**1
    assert fake.thumbnails["vid00000001"] == thumbs[0].path.read_bytes()
    assert fake.playlist_items[0]["snippet"]["resourceId"]["videoId"] == "vid00000001"
    assert set(fake.auth_headers) == {"Bearer test-token"}
    [recorded] = ledger.all()
    assert (recorded.output_id, recorded.variant, recorded.youtube_id) == (
        REQUEST, 1, "vid00000001")
    # The upload joins the catalog like any other YouTube video (daily stats count it).
    published = catalog.youtube_entry("yt-vid00000001")
    assert (published.channel_id, published.title) == ("UCmine", copy.title)
    # The thumbnails take turns from the upload day (the A/B test).
    from pattern_pivot.publish.abtest import RotationStore

    [rotation] = RotationStore(ledger.path).all()
    assert rotation.youtube_id == "vid00000001"
    assert rotation.thumbnails == tuple(str(t.path) for t in thumbs)
    again = stage.publish(output, copy, thumbs, ledger, UploadOptions(), do_upload=True,
                          client_factory=_no_client)
    assert again.status == "already-published" and again.youtube_id == "vid00000001"
    assert len(ledger.all()) == 1


def test_a_refused_thumbnail_still_records_the_upload_so_it_is_never_repeated(made,
                                                                              tmp_path):
    root, media, catalog, output, copy, thumbs = made
    ledger = PublishLedger(tmp_path / "published.sqlite")
    with FakeUploadServer(tmp_path / "tls", FakeUploads(thumbnail_forbidden=True)) as server:
        with pytest.raises(PublishError, match="is uploaded") as err:
            stage.publish(output, copy, thumbs, ledger, UploadOptions(), do_upload=True,
                          client_factory=_client(server))
    assert "https://www.youtube.com/watch?v=vid00000001" in str(err.value)
    assert "YouTube Studio" in err.value.fix
    assert [p.youtube_id for p in ledger.all()] == ["vid00000001"]
    again = stage.publish(output, copy, thumbs, ledger, UploadOptions(), do_upload=True,
                          client_factory=_no_client)
    assert again.status == "already-published"


def test_resumable_upload_in_chunks_with_a_503_on_the_second(tmp_path):
    from googleapiclient.http import MediaFileUpload

    video = tmp_path / "big.mp4"
    video.write_bytes(os.urandom(700 * 1024))
    with FakeUploadServer(tmp_path / "tls", FakeUploads(fail_chunk=[2])) as server:
        client = _client(server)()
        request = client.videos().insert(part="snippet,status", body={
            "snippet": {"title": "t"}, "status": {"privacyStatus": "private"}},
            media_body=MediaFileUpload(str(video), mimetype="video/mp4",
                                       chunksize=256 * 1024, resumable=True))
        from pattern_pivot.publish.upload import resumable_insert

        resource = resumable_insert(request, sleep=lambda s: None)
        fake = server.fake
    assert resource["id"] == "vid00000001"
    assert bytes(fake.received) == video.read_bytes()
    total = 700 * 1024
    assert fake.content_ranges == [
        f"bytes 0-262143/{total}", f"bytes 262144-524287/{total}", f"bytes */{total}",
        f"bytes 262144-524287/{total}", f"bytes 524288-{total - 1}/{total}"]


def test_quota_error_is_clear_and_records_nothing(made, tmp_path):
    root, media, catalog, output, copy, thumbs = made
    ledger = PublishLedger(tmp_path / "published.sqlite")
    with FakeUploadServer(tmp_path / "tls", FakeUploads(quota_exceeded=True)) as server:
        with pytest.raises(PublishError, match="quota is spent") as err:
            stage.publish(output, copy, thumbs, ledger, UploadOptions(), do_upload=True,
                          client_factory=_client(server))
    assert "midnight Pacific" in err.value.fix
    assert ledger.all() == []


def test_a_failed_blocking_check_blocks_the_upload(tmp_path):
    # Rendered 3 s against a 20 s target: duration_within_target fails for real.
    media, catalog = rendered_output(tmp_path, "remix-short", target=20.0)
    [output] = stage.find_outputs(media, "remix-short")
    assert output.failed_checks == ["duration_within_target"]
    copy, _ = stage.output_copy(media, output, "", catalog, lambda: None)
    ledger = PublishLedger(tmp_path / "published.sqlite")
    dry = stage.publish(output, copy, [], ledger, UploadOptions(), client_factory=_no_client)
    assert dry.status == "blocked" and dry.failed_checks == ["duration_within_target"]
    with pytest.raises(PublishError, match="duration_within_target"):
        stage.publish(output, copy, [], ledger, UploadOptions(), do_upload=True,
                      client_factory=_no_client)
    assert ledger.all() == []


def test_token_file_is_written_owner_only(tmp_path):
    token = tmp_path / "secrets" / "token.json"
    write_token(token, '{"token": "a"}')
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    token.chmod(0o644)  # an older, too-open file is tightened when rewritten
    write_token(token, '{"token": "b"}')
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert json.loads(token.read_text()) == {"token": "b"}
    assert [p.name for p in token.parent.iterdir()] == ["token.json"]  # no temp left


def test_a_stored_valid_token_is_used_without_a_consent_page(tmp_path):
    token = tmp_path / "token.json"
    write_token(token, json.dumps({"token": "stored", "refresh_token": "r", "client_id": "c",
                                   "client_secret": "s", "expiry": "2999-01-01T00:00:00Z"}))
    creds = oauth_credentials(token, None, interactive=False)
    assert creds.valid and creds.token == "stored"


def test_no_token_and_no_client_secrets_names_the_setting(tmp_path):
    with pytest.raises(PublishError, match="pattern-pivot publish"):
        oauth_credentials(tmp_path / "none.json", None, interactive=False)
    with pytest.raises(PublishError, match="PATTERN_PIVOT_YOUTUBE_CLIENT_SECRETS"):
        oauth_credentials(tmp_path / "none.json", tmp_path / "missing.json")


def test_a_chunk_size_youtube_would_reject_is_refused_before_any_request(made):
    root, media, catalog, output, copy, thumbs = made
    with pytest.raises(PublishError, match="256 KiB"):
        stage.publish(output, copy, thumbs, PublishLedger(root / "c.sqlite"),
                      UploadOptions(chunk_size=100_000), do_upload=True,
                      client_factory=_no_client)
    with pytest.raises(PublishError, match="not a YouTube privacy status"):
        UploadOptions(privacy="friends").check()


def test_a_face_with_open_eyes_beats_the_same_face_mid_blink(tmp_path):
    """Grace Hopper as she is, then with her eyes blurred shut (and the whole picture
    sharpened, so sharpness alone would prefer it): the thumbnail is the open-eyed frame."""
    import cv2
    import numpy as np
    import yuface

    photo = cv2.imread(str(GRACE))
    _, boxes, marks = yuface.detect(np.ascontiguousarray(photo), conf=0.6)
    shut = photo.copy()
    half = int(0.18 * boxes[0][2])
    for ex, ey in ((marks[0][0], marks[0][1]), (marks[0][2], marks[0][3])):
        region = shut[ey - half:ey + half, ex - half:ex + half]
        shut[ey - half:ey + half, ex - half:ex + half] = cv2.GaussianBlur(region, (0, 0), 8)
    shut = cv2.addWeighted(shut, 1.8, cv2.GaussianBlur(shut, (0, 0), 3), -0.8, 0)
    cv2.imwrite(str(tmp_path / "open.png"), photo)
    cv2.imwrite(str(tmp_path / "shut.png"), shut)
    video = tmp_path / "blink.mp4"
    ffmpeg("-loop", "1", "-t", "2", "-i", str(tmp_path / "shut.png"), "-loop", "1", "-t", "2",
           "-i", str(tmp_path / "open.png"), "-filter_complex",
           "[0:v]scale=512:600,setsar=1,fps=25[a];[1:v]scale=512:600,setsar=1,fps=25[b];"
           "[a][b]concat=n=2:v=1,format=yuv420p[v]", "-map", "[v]", str(video))
    scores = [s for s in score_frames(video) if not s.transition]
    shut_frames = [s for s in scores if s.time < 1.5]
    open_frames = [s for s in scores if s.time > 2.5]
    assert all(s.faces == 1 and s.eyes_open is False for s in shut_frames)
    assert all(s.faces == 1 and s.eyes_open for s in open_frames)
    assert max(s.sharpness for s in shut_frames) > max(s.sharpness for s in open_frames)
    assert pick_frames(scores, 1, min_gap=0.5)[0].time > 2.0
