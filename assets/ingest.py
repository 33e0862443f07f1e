"""Ingest: a catalog video becomes stored media, speech audio and a timed transcript."""

import dagster as dg

from assets.catalog import video_catalog
from assets.failures import user_errors
from assets.partitions import videos_partitions
from assets.previews import preview_metadata
from pattern_pivot import ingest
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.progress import audio_progress
from pattern_pivot.transcription.glossary import terms_from_title
from pattern_pivot.youtube import source as youtube_source
from pattern_pivot.youtube.types import youtube_id
from resources import CatalogResource, MediaStoreResource, TranscriberResource, YouTubeResource

_EXCERPT_CHARS = 400


def _status(cached: bool) -> str:
    return "cached" if cached else "materialized"


@dg.asset(partitions_def=videos_partitions, group_name="ingest", kinds={"ffmpeg", "file"},
          deps=[video_catalog], code_version="1")
def source_video(context: dg.AssetExecutionContext, catalog: CatalogResource,
                 media_store: MediaStoreResource,
                 youtube: YouTubeResource) -> dg.MaterializeResult:
    """The video (or audio) file as registered, copied into the media store and probed:
    duration, streams, resolution, frame rate, codecs. YouTube videos are downloaded with
    yt-dlp (at most 1080p MP4), with YouTube's captions when it has them."""
    store = media_store.store()
    captions = None
    with user_errors():
        entry = catalog.catalog().get(context.partition_key)
        if entry.source_kind == "youtube":
            output, info, captions = youtube_source.store_youtube_source(
                entry, store, catalog.catalog(), youtube.download_url(youtube_id(entry.video_id)),
                youtube.download, youtube.limits())
            entry = catalog.catalog().get(entry.video_id)
        else:
            output, info = ingest.store_source(entry, store)
        poster = ingest.store_poster(entry, store, output, info)
        try:
            preview = ingest.store_preview(entry, store, output, info)
        except PatternPivotError as exc:  # a preview is for the UI: never what fails a video
            context.log.warning(f"no animated preview: {exc}")
            preview = None
    metadata = {
        "status": _status(output.cached),
        "path": dg.MetadataValue.path(str(output.path)),
        "original_file": dg.MetadataValue.path(entry.source_uri),
        "title": entry.title,
        "bytes": info.size_bytes,
        "duration_s": info.duration,
        "container": info.container,
        "has_video": info.video is not None,
        "has_audio": info.audio is not None,
    }
    if info.video:
        metadata |= {"resolution": f"{info.video.width}x{info.video.height}",
                     "fps": info.video.fps, "video_codec": info.video.codec}
    if info.audio:
        metadata |= {"audio_codec": info.audio.codec, "audio_sample_rate": info.audio.sample_rate}
    if entry.source_kind == "youtube":
        metadata["captions"] = captions.name if captions else "none (local ASR)"
    metadata |= preview_metadata(media_store.local_root(), preview=preview, poster=poster)
    return dg.MaterializeResult(metadata=metadata,
                                data_version=dg.DataVersion(output.fingerprint[:16]))


@dg.asset(partitions_def=videos_partitions, group_name="ingest", kinds={"ffmpeg", "file"},
          deps=[source_video], code_version="1")
def video_audio(context: dg.AssetExecutionContext, catalog: CatalogResource,
                media_store: MediaStoreResource) -> dg.MaterializeResult:
    """Speech audio for ASR: the first audio stream as 16 kHz mono WAV."""
    store = media_store.store()
    with user_errors():
        entry = catalog.catalog().get(context.partition_key)
        source, info = ingest.source_output(entry, store)
        output = ingest.store_audio(entry, store, source, info)
    return dg.MaterializeResult(
        metadata={"title": entry.title, "status": _status(output.cached),
                  "path": dg.MetadataValue.path(str(output.path)),
                  "bytes": output.path.stat().st_size, "duration_s": info.duration,
                  "sample_rate": 16000, "channels": 1},
        data_version=dg.DataVersion(output.fingerprint[:16]))


@dg.asset(
    partitions_def=videos_partitions, group_name="ingest", kinds={"whisper", "json"},
    deps=[video_audio], code_version="1", pool="asr",
    check_specs=[dg.AssetCheckSpec("transcript_has_speech", asset="video_transcript",
                                   partitions_def=videos_partitions,  # a history per video
                                   description="Warns when no speech was found (silence).")],
)
def video_transcript(context: dg.AssetExecutionContext, catalog: CatalogResource,
                     media_store: MediaStoreResource,
                     transcriber: TranscriberResource) -> dg.MaterializeResult:
    """Transcript with word-level timestamps: YouTube's own captions when the video came
    with them, otherwise local Whisper with VAD (language detected)."""
    store = media_store.store()
    with user_errors():
        entry = catalog.catalog().get(context.partition_key)
        audio = ingest.stored_output(store, ingest.AUDIO, entry.video_id, ingest.AUDIO_NAME)
        captions = youtube_source.stored_captions(store, entry.video_id, entry.sha256)
        from_captions = (youtube_source.store_caption_transcript(entry, store, captions)
                         if captions else None)
        if from_captions:
            output, transcript = from_captions
        else:
            # A YouTube video's title names the channel's terms; a file's name is no title
            # (and renaming a file must not re-transcribe it).
            terms = terms_from_title(entry.title) if entry.source_kind == "youtube" else []
            output, transcript = ingest.store_transcript(
                entry, store, audio, transcriber.transcriber().with_glossary(terms),
                audio_progress(context.log.info))
    excerpt = transcript.text[:_EXCERPT_CHARS] + ("..." if len(transcript.text) > _EXCERPT_CHARS
                                                  else "")
    if transcript.word_count == 0:
        context.log.warning(f"{entry.source_uri}: no speech found; the transcript is empty")
    return dg.MaterializeResult(
        metadata={
            "title": entry.title,
            "status": _status(output.cached),
            "path": dg.MetadataValue.path(str(output.path)),
            "language": transcript.language,
            "language_probability": transcript.language_probability,
            "duration_s": transcript.duration,
            "word_count": transcript.word_count,
            "segment_count": len(transcript.segments),
            "model": transcript.model,
            "transcript_source": "youtube_captions" if from_captions else "local_asr",
            "real_time_factor": transcript.stats.get("real_time_factor", 0.0),
            "excerpt": dg.MetadataValue.md(excerpt or "_(no speech)_"),
        },
        data_version=dg.DataVersion(output.fingerprint[:16]),
        check_results=[dg.AssetCheckResult(
            check_name="transcript_has_speech", passed=transcript.word_count > 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"word_count": transcript.word_count},
            description=None if transcript.word_count else "No speech found: the audio is "
            "silent or has no voice. Check the source's sound track.")],
    )


ingest_assets = [source_video, video_audio, video_transcript]
