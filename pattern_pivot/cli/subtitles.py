"""`pattern-pivot subtitles`: a subtitle file (SRT, WebVTT, ASS) for a media file, a
transcript JSON, a rendered output's ``.captions.json`` or a catalog video, optionally
translated."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Optional

import typer

from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.settings import Settings


def _words_of(target: str, model: str, settings: Settings):
    """(words, language, duration) from whatever TARGET names."""
    from pattern_pivot import ingest
    from pattern_pivot.media.open_store import open_media_store
    from pattern_pivot.transcription.types import Transcript

    path = Path(target)
    if path.name.endswith(".captions.json"):
        from pattern_pivot.render.captions import read_captions_json

        return read_captions_json(path), "en", None
    if path.suffix == ".json" and path.is_file():
        transcript = Transcript.read_json(path)
    elif path.is_file():
        transcript = _transcribe(path, model)
    else:
        from pattern_pivot.catalog import Catalog, UnknownVideoError

        try:
            video_id = Catalog(settings.catalog_path).resolve(target)  # id, title or prefix
        except UnknownVideoError:  # (several matches: that error lists them)
            video_id = None
        stored = open_media_store(settings).path(ingest.TRANSCRIPT, video_id,
                                                 ingest.TRANSCRIPT_NAME) \
            if video_id else None
        if stored is None or not stored.is_file():
            raise PatternPivotError(target, "is neither a file nor a transcribed catalog video",
                                    "give a media file, a transcript JSON, a .captions.json "
                                    "or a video (id or title) that `pattern-pivot ingest` has "
                                    "processed")
        transcript = Transcript.read_json(stored)
    return transcript.words, transcript.language or "en", transcript.duration


def _transcribe(path: Path, model: str):
    from pattern_pivot.catalog import check_media_extension
    from pattern_pivot.errors import MediaError
    from pattern_pivot.media.audio import extract_speech_audio
    from pattern_pivot.media.probe import probe
    from pattern_pivot.transcription.whisper import FasterWhisperTranscriber

    check_media_extension(path)
    if probe(path).audio is None:
        raise MediaError(str(path), "has no audio stream, so there is nothing to subtitle",
                         "use a file with a sound track")
    from dataclasses import replace

    from pattern_pivot.subtitles.refine import refine_from_wav
    from pattern_pivot.transcription.types import Segment

    with tempfile.TemporaryDirectory(prefix="pattern-pivot-") as tmp:
        wav = Path(tmp) / "audio.wav"
        extract_speech_audio(path, wav)
        transcript = FasterWhisperTranscriber(model).transcribe(wav)
        # Word timings snapped onto the speech itself (Whisper's starts run early).
        words = refine_from_wav(transcript.words, wav)
    return replace(transcript, segments=(Segment(0.0, transcript.duration, transcript.text,
                                                 tuple(words)),))


def _round_trip(cues, translator, source: str, language: str):
    from pattern_pivot.retrieval.embeddings import SentenceEmbedder
    from pattern_pivot.subtitles.quality import round_trip

    return round_trip(cues, translator(source, language), translator(language, source),
                      SentenceEmbedder().encode)


@app.command()
def subtitles(
    target: str = typer.Argument(..., metavar="FILE_OR_VIDEO_ID",
                                 help="A media file, transcript JSON, .captions.json or "
                                      "catalog video id."),
    fmt: str = typer.Option("srt", "--format", help="srt, vtt or ass (karaoke)."),
    lang: Optional[str] = typer.Option(None, "--lang",
                                       help="Translate into this language, e.g. pt."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="Write here (default: print)."),
    backend: str = typer.Option("auto", help="Translation: auto, offline or llm."),
    model: str = typer.Option("base", help="ASR model when FILE is media: base or tiny.en."),
    check: bool = typer.Option(False, "--check",
                               help="Score the translation by a back-translation round trip "
                                    "(embedding similarity) and list doubtful sentences."),
    as_json: bool = typer.Option(False, "--json", help="Print the cues as JSON."),
) -> None:
    """Subtitles with exact word timing and readable lines (42x2, 17 chars/s), translated
    offline (en<->pt, en/pt<->es) or by the configured LLM providers."""
    from pattern_pivot.llm.local_server import LocalLLMServer
    from pattern_pivot.llm.providers import PROVIDERS_ENV, parse_providers
    from pattern_pivot.subtitles.formats import check_format, subtitles_text, write_subtitles
    from pattern_pivot.subtitles.stage import language_cues
    from pattern_pivot.subtitles.translate import translator_for

    settings = Settings.from_env()
    try:
        fmt = check_format(fmt)
        words, source, duration = _words_of(target, model, settings)
        providers = parse_providers(os.environ.get(PROVIDERS_ENV, "")) \
            if backend != "offline" else []
        language = (lang or source).lower()

        with ExitStack() as stack:
            # The configured local model (PATTERN_PIVOT_LOCAL_LLM) ends the LLM chain; it
            # is served only if a pair needs it.
            local = stack.enter_context(LocalLLMServer(settings.local_llm)) \
                if settings.local_llm and backend != "offline" else None

            def translator(s, t):
                return translator_for(s, t, backend=backend, providers=providers, local=local)

            by_language = language_cues(words, source,
                                        [language] if language != source else [],
                                        duration=duration, translator=translator)
            cues, engine = by_language[language]
            trips = _round_trip(by_language[source][0], translator, source, language) \
                if check and language != source else []
        if output is not None:
            write_subtitles(cues, output, fmt)
    except PatternPivotError as exc:
        exit_with_error(exc)
    for trip in trips:
        if trip.flagged or not as_json:
            typer.secho(f"{'DOUBTFUL ' if trip.flagged else ''}{trip.start:.2f}s "
                        f"similarity {trip.similarity:.2f}: {trip.translated!r} reads back as "
                        f"{trip.back!r}", err=True,
                        fg=typer.colors.YELLOW if trip.flagged else None)
    if as_json:
        typer.echo(json.dumps({
            "source": target, "language": language, "source_language": source,
            "translator": engine, "format": fmt, "file": str(output) if output else None,
            "round_trip": [{"start": t.start, "similarity": t.similarity, "flagged": t.flagged,
                            "translated": t.translated, "back": t.back} for t in trips],
            "cues": [{"start": c.start, "end": c.end, "lines": list(c.lines)} for c in cues],
        }, ensure_ascii=False, indent=1))
    elif output is None:
        typer.echo(subtitles_text(cues, fmt), nl=False)
    else:
        typer.echo(f"{output}: {len(cues)} cues ({language}{', ' + engine if engine else ''})")
