"""Long steps say how far they are: a few lines a minute, from a real transcription."""

import re

import dagster as dg
import pytest

from pattern_pivot.media.audio import extract_speech_audio
from pattern_pivot.media.ffmpeg import run_ffmpeg
from pattern_pivot.progress import Progress, audio_progress, render_progress
from pattern_pivot.transcription.blocks import wav_seconds
from resources import TranscriberResource
from tests.conftest import JFK


def test_progress_is_throttled_but_always_says_the_first_and_last_step():
    lines, now = [], [0.0]
    progress = Progress(lines.append, "rendered shots", interval_s=15.0, now=lambda: now[0])
    for done in range(1, 101):  # 100 steps, one a second
        now[0] = float(done)
        progress(done, 100)
    progress(100, 100)  # said once
    assert lines[0] == "rendered shots 1% (1 of 100)"
    assert lines[-1] == "rendered shots 100% (100 of 100)"
    assert len(lines) == 1 + 99 // 15 + 1  # first, one per 15 s, last


def test_a_real_transcription_reports_audio_progress(tmp_path):
    wav = tmp_path / "jfk.wav"
    extract_speech_audio(JFK, wav)
    calls = []
    # A short block size: several blocks, so progress arrives before the end.
    transcriber = TranscriberResource(model="tiny.en", beam_size=1,
                                      block_seconds=4.0).transcriber()
    transcript = transcriber.transcribe(wav, lambda done, total: calls.append((done, total)))
    total = wav_seconds(wav)
    assert transcript.word_count > 10 and total > 10
    dones = [done for done, _ in calls]
    assert len(calls) >= 3 and all(t == total for _, t in calls)
    assert dones == sorted(dones) and dones[-1] == total and 0 < dones[0] < total
    lines = []
    report = audio_progress(lines.append, interval_s=0.0)
    for done, total in calls:
        report(done, total)
    assert lines[-1] == f"transcribed 100% (0:{int(total):02d} of 0:{int(total):02d} of audio)"


@pytest.mark.slow
def test_the_transcript_step_logs_progress_and_a_check_per_partition(pipeline):
    [key] = pipeline.add(JFK)
    result = pipeline.ingest(key)
    assert result.success
    logs = [e.user_message for e in pipeline.instance.all_logs(result.run_id)
            if e.step_key == "video_transcript"]
    assert any(m.startswith("transcribed 100% (") for m in logs), logs
    chunks = [e.user_message for e in pipeline.instance.all_logs(result.run_id)
              if e.step_key == "transcript_chunks"]
    assert any(re.fullmatch(r"embedded 100% \((\d+) of \1 chunks\)", m) for m in chunks), chunks
    # The transcript's check belongs to this video's partition (its own history in the UI).
    check = dg.AssetCheckKey(dg.AssetKey("video_transcript"), "transcript_has_speech")
    [record] = pipeline.instance.event_log_storage.get_asset_check_execution_history(check, 5)
    assert record.partition == key and record.run_id == result.run_id


def test_an_ffmpeg_encode_reports_how_much_it_has_written(tmp_path):
    seconds = []
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x36:rate=25:duration=8", "-c:v",
                "libx264", "-preset", "ultrafast", "-f", "mp4", tmp_path / "out.mp4"],
               subject="test", fix="-", progress=seconds.append)
    assert len(seconds) >= 2 and seconds == sorted(seconds)
    assert 7.5 <= seconds[-1] <= 8.1


def test_render_progress_says_time_and_shots():
    lines = []
    report = render_progress(lines.append, "variant 1 rendered", interval_s=0.0)
    report(12.0, 30.0, 3, 8)
    report(30.0, 30.0, 8, 8)
    assert lines == ["variant 1 rendered 40% (0:12 of 0:30, 3 of 8 shots)",
                     "variant 1 rendered 100% (0:30 of 0:30, 8 of 8 shots)"]


def test_the_cli_prints_a_line_per_video_under_a_progress_bar(tmp_path, monkeypatch, capfd):
    from pattern_pivot.catalog import Catalog
    from pattern_pivot.cli.main import report_runs
    from pattern_pivot.cli.runs import RunOutcome
    from tests.conftest import copy_as

    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich draws its bar as on a terminal
    entry = Catalog(tmp_path / "data" / "catalog.sqlite").register_file(
        copy_as(JFK, tmp_path / "Ask not.wav"))
    outcomes = [RunOutcome(entry.video_id, True, "run-1", None),
                RunOutcome("file-0000000000000000", False, "run-2", "no such file")]
    assert report_runs(iter(outcomes), total=2) == 1
    out, err = capfd.readouterr()
    assert re.search(rf"^ok      {entry.video_id}  Ask not  \(\d+ s, run run-1\)$", out, re.M)
    assert re.search(r"^FAILED  file-0000000000000000    \(\d+ s\) no such file$", out, re.M)
    assert "ingest" in err and "2/2" in err  # the bar, on stderr, finished


def test_a_bar_follows_in_process_encodes_and_says_when_each_ends(monkeypatch, capfd):
    """What `pattern-pivot remix` draws while remix_job runs in its process: every step of
    each encode (not the log's few a minute) and one line per finished output."""
    from pattern_pivot.cli.progress_bar import progress_events_bar
    from pattern_pivot.progress import watching

    monkeypatch.setenv("FORCE_COLOR", "1")
    lines, ended, steps = [], [], []
    with progress_events_bar("render (seconds)", lambda e, s: ended.append(e.what)), \
            watching(steps.append):
        for n in (1, 2):  # the reporters remix_video makes, throttled as in a run
            report = render_progress(lines.append, f"variant {n} rendered", interval_s=3600)
            for done in (0.0, 6.0, 12.0, 24.0):
                report(done, 30.0, int(done // 6), 5)
            report(30.0, 30.0, 5, 5)
    report = render_progress(lines.append, "variant 3 rendered", interval_s=3600)
    report(30.0, 30.0, 5, 5)  # after the block: nobody watches
    assert ended == ["variant 1 rendered", "variant 2 rendered"]
    assert len(lines) == 5  # the log: first and last of each encode
    assert [(e.done, e.finished) for e in steps[:5]] == [
        (0.0, False), (6.0, False), (12.0, False), (24.0, False), (30.0, True)]
    assert steps[3].detail == "0:24 of 0:30, 4 of 5 shots" and len(steps) == 10
    err = capfd.readouterr().err
    assert "render (seconds)" in err and "variant 2 rendered" in err and "30/30" in err
