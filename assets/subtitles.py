"""Subtitles: SRT, WebVTT and ASS (karaoke) files for every video and every rendered remix,
in the transcript's language and each language in ``languages`` (default: the comma list in
PATTERN_PIVOT_SUBTITLE_LANGUAGES), translated offline where a pair ships here, else through
the LLM providers."""

import dagster as dg
from pydantic import Field

from assets.compose import remix_video
from assets.failures import user_errors
from assets.ingest import video_transcript
from assets.partitions import remixes_partitions, videos_partitions
from pattern_pivot import ingest
from pattern_pivot.render import stage as render_stage
from pattern_pivot.subtitles import stage
from pattern_pivot.subtitles.formats import FORMATS
from resources import LLMResource, MediaStoreResource


class SubtitlesConfig(dg.Config):
    languages: list[str] = Field(default_factory=stage.languages_from_env,
                                 description="Languages to translate into, e.g. ['pt', 'es'].")
    formats: list[str] = Field(default_factory=lambda: list(FORMATS))
    backend: str = Field(default="auto", description="auto (offline first), offline or llm.")
    source_language: str = Field(default="en", description="Remixes: the language spoken.")


def _metadata(sets) -> dict:
    original = sets[0]
    problems = stage.problems(sets)
    return {
        "status": "cached" if all(s.cached for s in sets) else "materialized",
        "languages": [s.language for s in sets],
        "translators": dg.MetadataValue.json({s.language: s.translator for s in sets[1:]}),
        "files": dg.MetadataValue.json([str(p) for s in sets for p in s.files]),
        "cue_count": len(original.cues),
        # Fast speech with no pause after it can leave a cue faster than 17 chars/s.
        "cues_over_17_cps": sum(1 for c in original.cues if c.cps > 17),
        "reading_rule_problems": dg.MetadataValue.json(problems[:20]),
        "excerpt": dg.MetadataValue.md("\n\n".join(
            f"**{s.language}**\n\n```\n{stage.excerpt(s.cues)}\n```" for s in sets if s.cues)),
    }


@dg.asset(partitions_def=videos_partitions, group_name="ingest", kinds={"srt", "vtt", "ass"},
          deps=[video_transcript], code_version="1")
def video_subtitles(context: dg.AssetExecutionContext, config: SubtitlesConfig,
                    media_store: MediaStoreResource, llm: LLMResource) -> dg.MaterializeResult:
    """Subtitle files timed to the transcript's words (refined against the speech audio),
    per language."""
    store = media_store.store()
    with user_errors(), llm.translators(config.backend) as translator:
        transcript = ingest.stored_output(store, ingest.TRANSCRIPT, context.partition_key,
                                          ingest.TRANSCRIPT_NAME)
        audio = store.path(ingest.AUDIO, context.partition_key, ingest.AUDIO_NAME)
        sets = stage.store_video_subtitles(store, context.partition_key, transcript.path,
                                           config.languages, config.formats, translator,
                                           audio_path=audio if audio.is_file() else None)
    return dg.MaterializeResult(metadata=_metadata(sets))


@dg.asset(partitions_def=remixes_partitions, group_name="compose", kinds={"srt", "vtt", "ass"},
          deps=[remix_video], code_version="1")
def remix_subtitles(context: dg.AssetExecutionContext, config: SubtitlesConfig,
                    media_store: MediaStoreResource, llm: LLMResource) -> dg.MaterializeResult:
    """Subtitle files beside each rendered variant, from the words its captions show; no
    cue spans a cut between shots."""
    store, request = media_store.store(), context.partition_key
    all_sets = []
    with user_errors(), llm.translators(config.backend) as translator:
        # Listed and read through the store: on S3 this machine's mirror may hold nothing.
        for variant in stage.captioned_variants(store, request):
            cuts, duration = stage.shot_cuts(store, request, variant)
            all_sets.extend(stage.store_output_subtitles(
                store, request, variant, config.source_language, config.languages,
                config.formats, translator, duration=duration or None, cuts=cuts))
    if not all_sets:
        raise dg.Failure(f"{render_stage.VIDEO_ASSET}/{request}: no rendered variants with "
                         "captions; materialise remix_video for this request first",
                         allow_retries=False)
    return dg.MaterializeResult(metadata=_metadata(all_sets))


subtitle_assets = [video_subtitles, remix_subtitles]
