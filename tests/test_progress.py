"""Long steps say how far they are: a few lines a minute, from a real transcription."""

import dagster as dg
import pytest

from pattern_pivot.media.audio import extract_speech_audio
from pattern_pivot.progress import Progress, audio_progress
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
    # The transcript's check belongs to this video's partition (its own history in the UI).
    check = dg.AssetCheckKey(dg.AssetKey("video_transcript"), "transcript_has_speech")
    [record] = pipeline.instance.event_log_storage.get_asset_check_execution_history(check, 5)
    assert record.partition == key and record.run_id == result.run_id
