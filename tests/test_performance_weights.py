"""Weighting by published performance (PATTERN_PIVOT_WEIGHT_BY_PERFORMANCE): real numbers in
the SQLite stats store, real ledger rows and stored edit plans; off by default."""

import time

import pytest

from pattern_pivot.highlights.find import find_highlights
from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.publish.performance import (
    MAX_LIFT,
    WEIGHT_ENV,
    load_weights,
    weighting_enabled,
)
from pattern_pivot.publish.stage import ledger_path
from pattern_pivot.publish.upload import Publication, PublishLedger
from pattern_pivot.remix.select import rerank
from pattern_pivot.remix.types import PLAN_ASSET
from pattern_pivot.retrieval.milvus_store import Hit
from pattern_pivot.stats.sqlite_store import SqliteStatsStore
from pattern_pivot.stats.store import VideoStats
from tests.render_support import narrated_plan, supercut_plan
from tests.test_shorts import _transcript

NOW = time.time()
DAY = time.strftime("%Y-%m-%d", time.gmtime(NOW))


@pytest.fixture
def published(settings):
    """Three uploads: a narrated remix of video `hit` (2,000 views in 10 days), supercuts of
    `flop` (100 views in 10 days) and of `mid` (1,000 views in 5 days)."""
    media = LocalMediaStore(settings.media_root)
    plans = {"remix-hit": narrated_plan("remix-hit", video_id="hit"),
             "remix-flop": supercut_plan("remix-flop", "flop", 0.0, 5.0),
             "remix-mid": supercut_plan("remix-mid", "mid", 0.0, 5.0)}
    for request_id, plan in plans.items():
        path = media.path(PLAN_ASSET, request_id, "variant-1.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(plan.model_dump_json(), encoding="utf-8")
    ledger = PublishLedger(ledger_path(settings.catalog_path))
    stats = SqliteStatsStore(settings.data_dir / "stats.sqlite")
    stats.create()
    rows = []
    for request_id, youtube_id, views, days in (("remix-hit", "ytHit", 2000, 10),
                                                ("remix-flop", "ytFlop", 100, 10),
                                                ("remix-mid", "ytMid", 1000, 5)):
        ledger.record(Publication(request_id, 1, "f", youtube_id, "public",
                                  NOW - days * 86400))
        rows.append(VideoStats(f"yt-{youtube_id}", DAY, "UCme", views, 10, 1, NOW))
    stats.write_day(DAY, rows)
    return settings, stats


def test_weights_follow_views_per_day_against_the_median(published):
    settings, stats = published
    warnings = []
    weights = load_weights(settings.catalog_path, settings.media_root, lambda: stats,
                           warnings.append, now=NOW)
    # views/day: hit 200, flop 10, mid 200 -> median 200; flop is 1/20 of it.
    assert weights.outputs == 3 and not warnings
    assert weights.by_source["hit"] == weights.by_source["mid"] == 1.0
    assert weights.by_source["flop"] == pytest.approx(1 / (1 + MAX_LIFT), abs=1e-4)
    assert weights.by_hook["none"] < 1.0 == weights.by_hook["statement"]


def test_retrieval_ranking_changes_only_when_weighting_is_on(published, monkeypatch):
    settings, stats = published
    hits = [Hit("flop", 0, 0.0, 5.0, 0.60, "a"), Hit("hit", 0, 0.0, 5.0, 0.55, "b")]
    monkeypatch.delenv(WEIGHT_ENV, raising=False)
    assert not weighting_enabled()  # off by default
    assert [h.video_id for h, _ in rerank(hits)] == ["flop", "hit"]
    monkeypatch.setenv(WEIGHT_ENV, "1")
    assert weighting_enabled()
    weights = load_weights(settings.catalog_path, settings.media_root, lambda: stats,
                           print, now=NOW)
    ranked = rerank(hits, performance=weights.by_source)
    assert [h.video_id for h, _ in ranked] == ["hit", "flop"]
    assert ranked[1][1] == pytest.approx(0.60 / (1 + MAX_LIFT), rel=1e-3)


def test_highlight_ranking_follows_the_hook_styles_that_performed():
    sentences_text = [
        "Why do most sourdough loaves come out flat and dense?",
        "The starter is simply too weak when the dough is mixed.",
        "Feed your starter twice a day for a week before you bake.",
        "Most bakers never measure the temperature of their dough at all.",
        "Warm dough rises in half the time of cold dough here.",
        "Cold dough can sit overnight in the fridge without harm."]
    transcript = _transcript(sentences_text)

    def best(performance=None):
        return find_highlights(transcript, None, subject="crafted", count=1, min_seconds=12,
                               max_seconds=16, performance=performance)[0].text

    assert best().startswith("Why do most")  # the question hook wins on its own
    # Published questions did poorly, plain statements well: the ranking follows.
    by_style = {"question": 1 / (1 + MAX_LIFT), "statement": 1 + MAX_LIFT}
    from pattern_pivot.publish.feedback import hook_style
    assert not best(lambda first: by_style.get(hook_style(first), 1.0)).startswith("Why")
    assert best(lambda first: 1.0).startswith("Why do most")  # neutral weights: no change


def test_a_failing_stats_store_only_warns(published):
    from pattern_pivot.stats.store import StatsStoreError

    settings, _ = published

    def broken():
        raise StatsStoreError("stats store", "cannot be reached", "start it")

    warnings = []
    weights = load_weights(settings.catalog_path, settings.media_root, broken,
                           warnings.append, now=NOW)
    assert weights.outputs == 0 and "not weighting by published performance" in warnings[0]
