"""`pattern-pivot dub`: a video (or audio file) with its speech translated and spoken in
another language on the original timeline, as an MP4 at -14 LUFS.

A media file is transcribed, translated and dubbed here; a catalog video id runs ingest
(cached when done) and then ``languages_job`` for (video, language), so the result is
stored and shows up in the Dagster UI."""

from __future__ import annotations

import json
import os
import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import Optional

import typer

from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import MediaError, PatternPivotError
from pattern_pivot.settings import Settings


def _dub_file(path: Path, lang: str, out: Path, model: str, backend: str, duck_db: float,
              settings: Settings, llm: bool):
    from pattern_pivot.cli.subtitles import _transcribe
    from pattern_pivot.dubbing.stage import dub_media
    from pattern_pivot.dubbing.voices import check_language
    from pattern_pivot.llm.local_server import LocalLLMServer
    from pattern_pivot.llm.providers import PROVIDERS_ENV, parse_providers
    from pattern_pivot.subtitles.stage import language_cues
    from pattern_pivot.subtitles.translate import translator_for

    typer.echo(f"transcribing {path.name} ({model})...", err=True)
    transcript = _transcribe(path, model)
    source = transcript.language if transcript.words else lang
    voice = check_language(source, lang, llm=llm)
    providers = parse_providers(os.environ.get(PROVIDERS_ENV, "")) if llm else []
    with ExitStack() as stack:
        local = stack.enter_context(LocalLLMServer(settings.local_llm)) \
            if llm and settings.local_llm else None
        by_language = language_cues(
            transcript.words, source, [lang] if lang != source else [],
            duration=transcript.duration,
            translator=lambda s, t: translator_for(s, t, backend=backend, providers=providers,
                                                   local=local))
    cues, engine = by_language[lang]
    typer.echo(f"speaking {len(cues)} {lang} cues (espeak-ng {voice}), mixing, encoding...",
               err=True)
    return source, engine, dub_media(path, cues, lang, voice, out, duck_db=duck_db)


def _dub_video(video_id: str, lang: str, duck_db: float, settings: Settings):
    import dagster as dg

    from assets.languages import languages_partitions
    from pattern_pivot.cli.runs import add_partitions, execute, instance_for, run_ingest
    from pattern_pivot.definitions import defs
    from pattern_pivot.dubbing.stage import DUB_ASSET, stored_result
    from pattern_pivot.media.open_store import open_media_store
    from pattern_pivot.subtitles.languages import LANGUAGES_ENV, TRANSLATED_ASSET

    if lang not in languages_partitions.get_partition_keys():
        raise PatternPivotError(f"--lang {lang}", "is not one of the language partitions "
                                f"({', '.join(languages_partitions.get_partition_keys())})",
                                f"add it to {LANGUAGES_ENV} (e.g. "
                                f"{','.join([*languages_partitions.get_partition_keys(), lang])})"
                                " or dub the video file itself")
    instance = instance_for(settings)
    add_partitions(instance, [video_id])
    ingested = next(iter(run_ingest(instance, [video_id], defs)))
    if not ingested.success:
        raise PatternPivotError(video_id, f"ingest failed: {ingested.error}",
                                "fix what it says, then run the command again")
    key = dg.MultiPartitionKey({"video": video_id, "language": lang})
    outcome = execute(instance, defs.resolve_job_def("languages_job"), key,
                      run_config={"ops": {"video_dub": {"config": {"duck_db": duck_db}}}})
    if not outcome.success:
        raise PatternPivotError(f"{video_id} in {lang}", f"dubbing failed: {outcome.error}",
                                "fix what it says, then run the command again")
    store = open_media_store(settings)
    paths = [store.path(DUB_ASSET, video_id, f"{lang}{s}")
             for s in (".mp4", ".voice.wav", ".dub.json")]
    quality = json.loads(store.path(TRANSLATED_ASSET, video_id, f"{lang}.quality.json")
                         .read_text(encoding="utf-8"))
    made = stored_result(paths, json.loads(paths[2].read_text(encoding="utf-8")))
    return outcome.run_id, quality["translator"], made


@app.command()
def dub(
    target: str = typer.Argument(..., metavar="FILE_OR_VIDEO_ID",
                                 help="A video or audio file, or a catalog video id."),
    lang: str = typer.Option(..., "--lang", help="The language to dub into, e.g. pt or es."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="The MP4 to write (default: FILE.<lang>.mp4 "
                                               "beside a file; the media store for an id)."),
    backend: str = typer.Option("auto", help="Translation: auto, offline or llm."),
    model: str = typer.Option("base", help="ASR model for a file: base or tiny.en."),
    duck_db: float = typer.Option(20.0, "--duck-db", help="How far the original sound drops "
                                  "under each dubbed line, dB."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON: files, "
                                 "voice, translator and where every line landed."),
) -> None:
    """Dub speech into another language: translated cue by cue (offline for pt and es from
    English, else the LLM providers), spoken by espeak-ng at each cue's start, sped up to
    at most 1.5x to fit, over the ducked original, at -14 LUFS."""
    from pattern_pivot.dubbing.voices import (
        LLM_FIX,
        DubLanguageError,
        offline_languages,
        voice_for,
    )
    from pattern_pivot.llm.providers import PROVIDERS_ENV

    settings = Settings.from_env()
    lang = lang.strip().lower()
    llm = backend != "offline" and bool(os.environ.get(PROVIDERS_ENV) or settings.local_llm)
    path = Path(target)
    run_id = None
    try:
        # Fail before any transcription when the language cannot be dubbed at all.
        if voice_for(lang) is None:
            raise DubLanguageError(f"--lang {lang}", "espeak-ng has no voice for this "
                                   "language", "pick one from `espeak-ng --voices`")
        offline = sorted({t for s in ("en", "pt", "es") for t in offline_languages(s)})
        if not llm and lang not in offline:
            raise DubLanguageError(f"--lang {lang}", "no offline translator covers it "
                                   f"(offline here: {', '.join(offline) or 'none'})",
                                   f"pick one of those; {LLM_FIX}")
        if path.is_file():
            from pattern_pivot.media.probe import probe

            if probe(path).audio is None:
                raise MediaError(str(path), "has no audio stream, so there is no speech to "
                                 "dub", "use a file with a sound track")
            out = output or path.with_name(f"{path.stem}.{lang}.mp4")
            source, engine, made = _dub_file(path, lang, out, model, backend, duck_db,
                                             settings, llm)
        else:
            run_id, engine, made = _dub_video(target, lang, duck_db, settings)
            source = None
            if output is not None:
                output.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(made.video, output)
    except PatternPivotError as exc:
        exit_with_error(exc)
    video = output or made.video
    if made.message:
        typer.secho(f"{target}: {made.message}", fg=typer.colors.YELLOW, err=True)
    summary = made.timing.summary()
    if as_json:
        typer.echo(json.dumps({
            "source": target, "run_id": run_id, "language": lang, "source_language": source,
            "translator": engine, "voice": f"espeak-ng {made.voice}", "video": str(video),
            "voice_wav": str(made.voice_wav), "report": str(made.report),
            "message": made.message, **made.timing.to_dict()}, ensure_ascii=False, indent=1))
    else:
        typer.echo(f"{video}: {summary['lines']} lines in {lang} (espeak-ng {made.voice}"
                   f"{', ' + engine if engine else ''}); {summary['sped_up']} sped up (at most "
                   f"{summary['max_tempo']:.2f}x), {summary['late']} late (at most "
                   f"{summary['max_delay']:.2f} s)")
