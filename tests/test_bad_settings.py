"""One bad environment variable fails only the stage that needs it, with the variable, the
value and the fix: the code location still loads and local files still ingest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pattern_pivot.llm.providers import ProviderConfigError
from pattern_pivot.settings import SettingError, Settings
from pattern_pivot.stats.store import StatsStoreError
from pattern_pivot.youtube.config import YouTubeConfig
from tests.conftest import JFK, Pipeline, copy_as

REPO = Path(__file__).resolve().parents[1]

BAD = {
    "PATTERN_PIVOT_YOUTUBE_MAX_HEIGHT": "abc",
    "PATTERN_PIVOT_YOUTUBE_CAPTIONS": "maybe",
    "PATTERN_PIVOT_STATS_BACKEND": "mongo",
    "PATTERN_PIVOT_TTS_BACKEND": "sam",
    "PATTERN_PIVOT_LLM_PROVIDERS": '[{"name": "groq",',
}


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    failure = next(e for e in result.all_events if e.is_step_failure)
    return failure.step_failure_data.user_failure_data.description


@pytest.mark.slow
def test_bad_settings_fail_only_the_stages_that_need_them(monkeypatch, tiny_transcriber,
                                                          tmp_path):
    for name, value in {**BAD, "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data")}.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    pipeline = Pipeline(settings, tiny_transcriber)
    dg.Definitions.validate_loadable(pipeline.defs)

    # A local file ingests end to end: it needs none of the bad settings.
    [local] = pipeline.add(copy_as(JFK, tmp_path / "in" / "jfk.wav"))
    assert pipeline.ingest(local).success

    # A YouTube video fails at the download, which needs the download limits, and stores
    # nothing.
    youtube = pipeline.catalog.register_youtube("dQw4w9WgXcQ", "UCchannel", "a title")
    pipeline.instance.add_dynamic_partitions("videos", [youtube.video_id])
    result = pipeline.ingest(youtube.video_id)
    assert not result.success
    message = _failure_message(result)
    assert message == ("PATTERN_PIVOT_YOUTUBE_MAX_HEIGHT='abc': is not a whole number above "
                       "0. Fix: set it to e.g. 1080 or unset it")
    assert not (settings.media_root / "source_video" / youtube.video_id).exists() or not any(
        (settings.media_root / "source_video" / youtube.video_id).iterdir())

    resources = pipeline.defs.resources
    with pytest.raises(StatsStoreError, match=r"PATTERN_PIVOT_STATS_BACKEND='mongo'.*Fix: "
                                              r"set it to sqlite or dynamodb"):
        resources["stats_store"].store()
    with pytest.raises(SettingError, match=r"PATTERN_PIVOT_TTS_BACKEND='sam'.*Fix: set it to "
                                           r"piper, coqui, espeak"):
        resources["tts"].engine()
    # The provider list is named with the JSON error's position but not echoed: a pasted
    # API key in it must not land in the run logs.
    with pytest.raises(ProviderConfigError, match=r"PATTERN_PIVOT_LLM_PROVIDERS.*line 1 "
                                                  r"column.*Fix: set it like"):
        with resources["llm"].writer():
            pass


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("PATTERN_PIVOT_YOUTUBE_MAX_HEIGHT", "720.5", "is not a whole number above 0"),
    ("PATTERN_PIVOT_YOUTUBE_MAX_HEIGHT", "0", "is not a whole number above 0"),
    ("PATTERN_PIVOT_YOUTUBE_MAX_FILESIZE_MB", "2GB", "is not a number above 0"),
    ("PATTERN_PIVOT_YOUTUBE_MAX_DURATION_S", "nan", "is not a number above 0"),
    ("PATTERN_PIVOT_YOUTUBE_CAPTIONS", "maybe", "is not a yes/no value"),
    ("PATTERN_PIVOT_YOUTUBE_DOWNLOAD_URL", "https://example.org/v/{video}",
     "is not a URL template with one {id} placeholder"),
])
def test_each_youtube_setting_is_checked(monkeypatch, name, value, problem):
    monkeypatch.setenv(name, value)
    config = YouTubeConfig.from_env()  # reading never raises
    [error] = config.problems
    assert str(error).startswith(f"{name}={value!r}: {problem}. Fix: ")
    assert "unset it" in error.fix


def test_good_youtube_settings_are_read(monkeypatch):
    for name, value in {"PATTERN_PIVOT_YOUTUBE_MAX_HEIGHT": " 720 ",
                        "PATTERN_PIVOT_YOUTUBE_MAX_FILESIZE_MB": "512.5",
                        "PATTERN_PIVOT_YOUTUBE_CAPTIONS": "Off",
                        "PATTERN_PIVOT_YOUTUBE_DOWNLOAD_URL": "http://127.0.0.1:8/{id}.mp4"
                        }.items():
        monkeypatch.setenv(name, value)
    config = YouTubeConfig.from_env()
    assert config.problems == ()
    assert (config.max_height, config.max_filesize_mb, config.captions) == (720, 512.5, False)
    assert config.download_url_template == "http://127.0.0.1:8/{id}.mp4"


@pytest.mark.slow
def test_dagster_validates_the_code_location_with_a_bad_setting(tmp_path):
    env = {**_clean_env(), **BAD, "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": str(REPO)}
    dagster = str(Path(sys.executable).with_name("dagster"))
    proc = subprocess.run([dagster, "definitions", "validate", "-m", "pattern_pivot.definitions"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PATTERN_PIVOT_")
            or k == "PATTERN_PIVOT_CACHE_DIR"}


def test_a_path_under_an_unknown_users_home_is_named(monkeypatch):
    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", "~no-such-user-here/data")
    with pytest.raises(SettingError, match=r"PATTERN_PIVOT_DATA_DIR='~no-such-user-here/data': "
                                           r"names the home folder of an unknown user"):
        Settings.from_env()
