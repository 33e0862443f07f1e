"""The media store on S3, against moto's S3 server over HTTP: multipart uploads, resumed
ranged downloads, atomic publish, the bounded local mirror, and real assets on it."""

from __future__ import annotations

import os
import shutil
import tracemalloc
from pathlib import Path
from typing import Iterator

import dagster as dg
import pytest

from assets.ingest import source_video, video_audio
from assets.partitions import videos_partitions
from pattern_pivot import ingest
from pattern_pivot.catalog import Catalog
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.media.s3_store import MiB, S3Location
from pattern_pivot.media.store import LocalMediaStore
from resources import CatalogResource, MediaStoreResource, YouTubeResource
from tests.conftest import COCKATOO
from tests.s3_support import S3Server, moto_s3_process


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with moto_s3_process() as url:
        yield S3Server(url)


@pytest.fixture
def s3_env(s3_server, monkeypatch) -> S3Server:
    """Credentials and endpoint from the environment only, as a deployment sets them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.url)
    return s3_server


def _payload(size: int) -> bytes:
    return os.urandom(size)


def _calls(client, operation: str) -> list[dict]:
    """Every ``operation`` request's parameters, as boto3 sends them."""
    seen: list[dict] = []
    client.meta.events.register(f"before-parameter-build.s3.{operation}",
                                lambda params, **_: seen.append(params))
    return seen


def test_multipart_upload_larger_than_one_part_streams_from_disk(s3_server, tmp_path):
    bucket = s3_server.bucket()
    client = s3_server.client()
    parts = _calls(client, "UploadPart")
    store = s3_server.store(bucket, tmp_path / "cache", client=client, max_concurrency=1)
    data = _payload(24 * MiB)
    tracemalloc.start()
    with store.atomic_write("source_video", "file-1", "source.mp4", "fp-1") as tmp:
        with open(tmp, "wb") as out:
            for start in range(0, len(data), MiB):
                out.write(data[start:start + MiB])
        tracemalloc.reset_peak()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(parts) == 5  # 24 MiB in 5 MiB parts
    # Parts are read from the file one at a time: never the whole video in memory.
    assert peak < len(data) / 2
    head = client.head_object(Bucket=bucket, Key="pp/source_video/file-1/source.mp4")
    assert head["ContentLength"] == len(data) and head["Metadata"] == {"inputs": "fp-1"}
    assert store.is_current("source_video", "file-1", "source.mp4", "fp-1")
    assert not store.is_current("source_video", "file-1", "source.mp4", "fp-2")
    # Another machine (an empty mirror) reads the same bytes and fingerprint, streamed.
    other = s3_server.store(bucket, tmp_path / "other")
    tracemalloc.start()
    path = other.path("source_video", "file-1", "source.mp4")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert path.read_bytes() == data and peak < len(data) / 2
    assert path.with_name("source.mp4.inputs").read_text() == "fp-1"
    assert other.names("source_video", "file-1") == ["source.mp4"]


def test_interrupted_download_resumes_with_a_ranged_get(s3_server, tmp_path):
    bucket = s3_server.bucket()
    writer = s3_server.store(bucket, tmp_path / "writer")
    data = _payload(12 * MiB)
    with writer.atomic_write("video_audio", "file-2", "audio.wav", "fp") as tmp:
        tmp.write_bytes(data)
    etag = writer.client.head_object(Bucket=bucket, Key="pp/video_audio/file-2/audio.wav")["ETag"]
    # What a download cut off after 5 MiB leaves in the mirror.
    folder = tmp_path / "reader" / "video_audio" / "file-2"
    folder.mkdir(parents=True)
    (folder / ".audio.wav.part").write_bytes(data[:5 * MiB])
    (folder / "..audio.wav.part.etag").write_text(etag)
    client = s3_server.client()
    gets = _calls(client, "GetObject")
    reader = s3_server.store(bucket, tmp_path / "reader", client=client)
    assert reader.path("video_audio", "file-2", "audio.wav").read_bytes() == data
    assert [g["Range"] for g in gets] == [f"bytes={5 * MiB}-"]
    assert not (folder / ".audio.wav.part").exists()
    # Read again: the mirror's copy is current, nothing is downloaded.
    reader.path("video_audio", "file-2", "audio.wav")
    assert len(gets) == 1

    # The object changed since the cut-off download: the partial file is not reused.
    (folder / "audio.wav").unlink()
    (folder / ".audio.wav.part").write_bytes(data[:5 * MiB])
    (folder / "..audio.wav.part.etag").write_text('"an-older-etag"')
    assert reader.path("video_audio", "file-2", "audio.wav").read_bytes() == data
    assert gets[-1]["Range"] == "bytes=0-"


def test_a_failed_upload_publishes_nothing_and_keeps_the_old_object(s3_server, tmp_path):
    bucket = s3_server.bucket()
    client = s3_server.client()
    store = s3_server.store(bucket, tmp_path / "cache", client=client)
    old = _payload(1000)
    with store.atomic_write("remix_video", "r1", "variant-1.mp4", "old") as tmp:
        tmp.write_bytes(old)

    def cut_connection(params, **_):
        if params["PartNumber"] == 2:
            raise ConnectionError("connection reset while sending part 2")
    client.meta.events.register("before-parameter-build.s3.UploadPart", cut_connection)
    with pytest.raises(Exception, match="part 2"):
        with store.atomic_write("remix_video", "r1", "variant-1.mp4", "new") as tmp:
            tmp.write_bytes(_payload(12 * MiB))
    # A fresh machine still sees the old file with its own fingerprint; no stray keys, no
    # half-finished multipart upload left to bill for, no temporary file in the mirror.
    fresh = s3_server.store(bucket, tmp_path / "fresh")
    assert fresh.path("remix_video", "r1", "variant-1.mp4").read_bytes() == old
    assert fresh.is_current("remix_video", "r1", "variant-1.mp4", "old")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["pp/remix_video/r1/variant-1.mp4"]
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert sorted(p.name for p in (tmp_path / "cache" / "remix_video" / "r1").iterdir()) == [
        ".variant-1.mp4.etag", "variant-1.mp4", "variant-1.mp4.inputs"]

    # A stage that fails before its file is complete uploads nothing at all.
    with pytest.raises(RuntimeError):
        with store.atomic_write("remix_video", "r2", "variant-1.mp4", "fp") as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("ffmpeg failed")
    assert store.names("remix_video", "r2") == []


def test_the_mirror_stays_under_its_bound_and_follows_newer_objects(s3_server, tmp_path):
    bucket = s3_server.bucket()
    writer = s3_server.store(bucket, tmp_path / "writer")
    for n in range(3):
        with writer.atomic_write("source_video", f"file-{n}", "source.mp4", "fp") as tmp:
            tmp.write_bytes(_payload(2 * MiB))
    reader = s3_server.store(bucket, tmp_path / "reader", cache_max_bytes=5 * MiB)
    paths = [reader.path("source_video", f"file-{n}", "source.mp4") for n in range(3)]
    assert [p.is_file() for p in paths] == [False, True, True]  # least recently used went
    assert sum(p.stat().st_size for p in paths[1:]) <= 5 * MiB
    # Evicted is only gone from the mirror: read again, it is fetched again.
    assert reader.path("source_video", "file-0", "source.mp4").stat().st_size == 2 * MiB
    # Written again elsewhere: the mirror notices the new ETag and fetches the new bytes.
    newer = _payload(100)
    with writer.atomic_write("source_video", "file-2", "source.mp4", "fp2") as tmp:
        tmp.write_bytes(newer)
    assert reader.path("source_video", "file-2", "source.mp4").read_bytes() == newer
    assert reader.path("source_video", "file-2", "source.mp4.inputs").read_text() == "fp2"


def test_s3_urls_are_checked():
    assert S3Location.parse("s3://pattern-pivot-media/prod/eu") == S3Location(
        "pattern-pivot-media", "prod/eu")
    assert S3Location.parse("s3://media-1").key("a", "b") == "a/b"
    with pytest.raises(PatternPivotError, match="not a valid S3 bucket name"):
        S3Location.parse("s3://Media_Bucket/x")
    with pytest.raises(ValueError, match="unsafe"):
        S3Location.parse("s3://media-1/../etc")


@pytest.mark.slow
def test_ingest_assets_on_s3_are_cached_across_machines(s3_env, tmp_path):
    """source_video and video_audio materialised on S3, the client configured by the AWS
    environment only (AWS_ENDPOINT_URL_S3, as for MinIO); a second machine with an empty
    mirror finds both current ("cached") and redoes nothing."""
    bucket = s3_env.bucket()
    catalog = Catalog(tmp_path / "catalog.sqlite")
    key = catalog.register_file(COCKATOO).video_id
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(videos_partitions.name, [key])

    def run(cache: Path) -> dict:
        resources = {"catalog": CatalogResource(path=str(tmp_path / "catalog.sqlite"),
                                                watch_dir=str(tmp_path / "channel")),
                     "media_store": MediaStoreResource(root=f"s3://{bucket}/pp",
                                                       cache_dir=str(cache)),
                     "youtube": YouTubeResource()}
        result = dg.materialize([source_video, video_audio], partition_key=key,
                                resources=resources, instance=instance)
        assert result.success
        return {m.asset_key.to_user_string(): m.metadata["status"].value
                for m in result.get_asset_materialization_events()
                for m in [m.event_specific_data.materialization]}

    assert run(tmp_path / "machine-a") == {"source_video": "materialized",
                                           "video_audio": "materialized"}
    client = s3_env.client()
    names = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"])
    assert f"pp/source_video/{key}/source.mp4" in names
    assert f"pp/video_audio/{key}/audio.wav" in names
    audio = client.head_object(Bucket=bucket, Key=f"pp/video_audio/{key}/audio.wav")
    assert run(tmp_path / "machine-b") == {"source_video": "cached", "video_audio": "cached"}
    again = client.head_object(Bucket=bucket, Key=f"pp/video_audio/{key}/audio.wav")
    assert again["LastModified"] == audio["LastModified"]  # not uploaded again
    # The same fingerprints the local store gives the same video.
    local = LocalMediaStore(tmp_path / "local")
    entry = catalog.get(key)
    source, info = ingest.store_source(entry, local)
    assert audio["Metadata"]["inputs"] == ingest.store_audio(entry, local, source,
                                                             info).fingerprint


def test_an_s3_media_root_in_the_environment_builds_the_s3_store(monkeypatch, tmp_path):
    from pattern_pivot.definitions import build_definitions
    from pattern_pivot.settings import Settings

    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PATTERN_PIVOT_MEDIA_ROOT", "s3://pattern-pivot-media/prod")
    settings = Settings.from_env()
    assert settings.media_location == "s3://pattern-pivot-media/prod"
    assert settings.media_root == tmp_path / "media-cache"  # the local mirror
    resource = build_definitions(settings).resources["media_store"]
    assert (resource.root, resource.cache_dir) == ("s3://pattern-pivot-media/prod",
                                                   str(tmp_path / "media-cache"))
    # What reads rendered files directly (the publish assets) reads the mirror, not "s3:/...".
    assert resource.local_root() == tmp_path / "media-cache"
    monkeypatch.setenv("PATTERN_PIVOT_MEDIA_ROOT", str(tmp_path / "elsewhere"))
    assert Settings.from_env().media_location == str(tmp_path / "elsewhere")
    assert MediaStoreResource(root=str(tmp_path / "elsewhere")).local_root() == \
        tmp_path / "elsewhere"


def _upload_tree(media: Path, client, bucket: str, prefix: str) -> None:
    """A local store's files as objects, each with its fingerprint (as S3MediaStore writes)."""
    for path in sorted(media.rglob("*")):
        if not path.is_file() or path.name.startswith(".") or path.name.endswith(".inputs"):
            continue
        marker = path.with_name(path.name + ".inputs")
        meta = {"inputs": marker.read_text().strip()} if marker.is_file() else {}
        client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(media)}",
                           ExtraArgs={"Metadata": meta})


@pytest.mark.slow
def test_remix_subtitles_and_publish_read_a_rendered_output_from_s3_only(
        s3_env, tmp_path, monkeypatch):
    """A rendered output that exists only on S3 (no local copy anywhere): remix_subtitles
    finds its captions and stores subtitles beside it, publish finds, reads and writes it
    through the store on a machine with an empty mirror, and a third machine finds it all
    cached."""
    from assets.partitions import remixes_partitions
    from assets.subtitles import remix_subtitles
    from pattern_pivot.media.open_store import open_media_store
    from pattern_pivot.publish import stage
    from pattern_pivot.publish.upload import PublishLedger, UploadOptions
    from pattern_pivot.render.stage import rendered_outputs
    from pattern_pivot.settings import Settings
    from pattern_pivot.subtitles.formats import parse_subtitles
    from resources import LLMResource
    from tests.publish_support import SAID, rendered_output

    request = "remix-s3"
    (tmp_path / "render").mkdir()
    media, catalog = rendered_output(tmp_path / "render", request)
    bucket, client = s3_env.bucket(), s3_env.client()
    _upload_tree(media, client, bucket, "pp")
    shutil.rmtree(media)

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(remixes_partitions.name, [request])
    result = dg.materialize(
        [remix_subtitles], instance=instance, partition_key=request,
        resources={"media_store": MediaStoreResource(root=f"s3://{bucket}/pp",
                                                     cache_dir=str(tmp_path / "machine-a")),
                   "llm": LLMResource()},
        run_config={"ops": {"remix_subtitles": {"config": {"languages": []}}}})
    assert result.success
    srt = client.get_object(Bucket=bucket, Key=f"pp/remix_video/{request}/variant-1.en.srt")
    cues = parse_subtitles(srt["Body"].read().decode(), "srt")
    assert cues and set(" ".join(c.text for c in cues).lower().split()) <= \
        {w.lower() for w in SAID}
    assert srt["Metadata"]["inputs"]  # stored with its fingerprint, like every output

    # Publishing on another machine, the store built from the environment as the CLI does.
    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(tmp_path / "machine-b"))
    monkeypatch.setenv("PATTERN_PIVOT_MEDIA_ROOT", f"s3://{bucket}/pp")
    store = open_media_store(Settings.from_env())
    [rendered] = rendered_outputs(store, request)
    assert rendered.path.is_file() and rendered.poster.is_file() and rendered.passed
    [output] = stage.find_outputs(store, request)
    copy, cached = stage.output_copy(store, output, "cockatoo calls", catalog, lambda: None)
    assert not cached and copy.title
    thumbs, cached = stage.output_thumbnails(store, output, copy)
    assert not cached and len(thumbs) == 3
    ledger = PublishLedger(tmp_path / "published.sqlite")
    dry = stage.publish(output, copy, thumbs, ledger, UploadOptions())
    assert dry.status == "dry-run"
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {f"pp/publish/{request}/variant-1.copy.json",
            f"pp/publish/{request}/variant-1.thumbnails.json",
            f"pp/remix_video/{request}/variant-1.publish.json",
            *(f"pp/publish/{request}/{t.path.name}" for t in thumbs)} <= keys

    # A third machine reuses all of it, fetching what it reads.
    other = s3_env.store(bucket, tmp_path / "machine-c")
    [again] = stage.find_outputs(other, request)
    assert stage.output_copy(other, again, "cockatoo calls", catalog, lambda: None)[1]
    thumbs_c, cached = stage.output_thumbnails(other, again, copy)
    assert cached and [t.path.read_bytes() for t in thumbs_c] == \
        [t.path.read_bytes() for t in thumbs]


def test_video_subtitles_refined_on_one_machine_are_current_on_another(s3_server, tmp_path):
    """The refined subtitles' fingerprint names the speech audio by its stored fingerprint,
    not by the mirror copy's download time: a second machine redoes nothing."""
    from pattern_pivot.subtitles import stage as subtitles
    from pattern_pivot.transcription.types import Segment, Transcript, Word
    from tests.conftest import JFK

    bucket = s3_server.bucket()
    words = tuple(Word(0.3 + i * 0.5, 0.7 + i * 0.5, w) for i, w in
                  enumerate("and so my fellow Americans ask not".split()))
    transcript = Transcript("en", 1.0, 4.0, (Segment(0.3, 3.7, " ".join(w.text for w in words),
                                                     words),), "hand-made")

    def machine(name: str) -> list:
        store = s3_server.store(bucket, tmp_path / name)
        if not store.is_current("video_audio", "vid-1", "audio.wav", "audio-fp"):
            with store.atomic_write("video_audio", "vid-1", "audio.wav", "audio-fp") as tmp:
                shutil.copyfile(JFK, tmp)
            with store.atomic_write("video_transcript", "vid-1", "transcript.json",
                                    "transcript-fp") as tmp:
                transcript.write_json(tmp)
        return subtitles.store_video_subtitles(
            store, "vid-1", store.path("video_transcript", "vid-1", "transcript.json"),
            formats=["srt"], audio_path=store.path("video_audio", "vid-1", "audio.wav"))

    [first] = machine("machine-a")
    assert not first.cached and first.cues
    [again] = machine("machine-b")
    assert again.cached and again.files[0].read_text() == first.files[0].read_text()
