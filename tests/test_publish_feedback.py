"""The feedback report: published outputs grouped by topic, mode, length and hook style,
ranked by median views, with a chart; no numbers before there are stats."""

from pathlib import Path

from PIL import Image

from pattern_pivot.publish.feedback import (
    PublishedOutcome,
    gather,
    group_rows,
    hook_style,
    render_report_chart,
    report_markdown,
)
from pattern_pivot.publish.upload import Publication
from pattern_pivot.remix.request import RemixRequest
from pattern_pivot.remix.types import EditPlan, Shot
from pattern_pivot.stats.store import VideoStats


def test_hook_styles():
    assert hook_style("Why do cockatoos scream?") == "question"
    assert hook_style("3 things about sourdough") == "number"
    assert hook_style("You have been feeding it wrong.") == "second person"
    assert hook_style("Sourdough is alive.") == "statement"


def test_groups_rank_by_median_views_not_one_outlier():
    o = [PublishedOutcome("a", "bread", "narrated", 30, "Why?", 100, 10),
         PublishedOutcome("b", "bread", "supercut", 45, "Bread.", 120, 6),
         PublishedOutcome("c", "birds", "narrated", 40, "Why birds?", 5000, 50),
         PublishedOutcome("d", "birds", "narrated", 40, "Birds.", 10, 0),
         PublishedOutcome("e", "birds", "narrated", 40, "Birds!", 12, 0),
         PublishedOutcome("f", "bread", "narrated", 30, "no stats yet", None, None)]
    rows = group_rows(o)
    topics = [(r.value, r.videos, r.median_views) for r in rows if r.dimension == "topic"]
    assert topics == [("bread", 2, 110), ("birds", 3, 12)]  # the 5000-view outlier does not win
    hooks = {r.value: r.median_views for r in rows if r.dimension == "hook"}
    assert hooks["question"] == (100 + 5000) / 2
    lengths = [r.value for r in rows if r.dimension == "length"]
    assert lengths == ["≤30 s", "31-60 s"]
    bread = next(r for r in rows if r.dimension == "topic" and r.value == "bread")
    assert bread.like_rate == 16 / 220
    assert "| topic | bread | 2 | 110 | 7.3% |" in report_markdown(rows, 6)


def test_no_stats_yet_says_so_and_gather_joins_ledger_requests_plans_and_stats(tmp_path):
    assert "none with stats yet" in report_markdown([], 2)
    plan = EditPlan(request_id="remix-1", mode="supercut", aspect="9:16", target_seconds=20,
                    shots=(Shot(kind="card", duration=20, text="Why bread rises?"),))
    pubs = [Publication("remix-1", 1, "f", "VID1", "private", 0.0),
            Publication("remix-2", 1, "g", "VID2", "private", 0.0)]
    stats = {"yt-VID1": VideoStats("yt-VID1", "2026-11-30", "UC", 321, 12, 1, 0.0)}
    outcomes = gather(pubs, lambda oid: RemixRequest(topic="bread") if oid == "remix-1" else None,
                      lambda oid, v: plan if oid == "remix-1" else None,
                      lambda ids: {i: stats[i] for i in ids if i in stats})
    assert outcomes[0] == PublishedOutcome("VID1", "bread", "supercut", 20, "Why bread rises?",
                                           321, 12)
    assert outcomes[1].views is None and outcomes[1].mode == "?"
    chart = render_report_chart(group_rows(outcomes), tmp_path / "c.png")
    assert Image.open(Path(chart)).format == "PNG"
