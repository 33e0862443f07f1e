"""Retrieval, ranking, cut points, the extractive writer and plans, on a real Milvus Lite
catalog of the sample channel's transcripts (real embedder, synthetic word timings)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from pattern_pivot.remix import plans
from pattern_pivot.remix.audio import stitch_audio
from pattern_pivot.remix.pipeline import RemixContext, plan_remix, write_outputs
from pattern_pivot.remix.request import RemixRequestError, parse_request
from pattern_pivot.remix.select import (
    candidates,
    engagement_from_stats,
    mmr_order,
    rerank,
    retrieve,
)
from pattern_pivot.remix.spans import snap, store_transcripts
from pattern_pivot.remix.types import PLAN_ASSET, EditPlan, SourceSpan
from pattern_pivot.remix.writers import ExtractiveWriter, FallbackWriter
from pattern_pivot.remix.writers.base import speech_seconds, word_count
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.milvus_store import Hit
from tests.conftest import LIBRIVOX
from tests.remix_support import build_catalog

BREAD = "sourdough starter and baking bread"


@pytest.fixture(scope="module")
def embedder():
    return SentenceEmbedder()


@pytest.fixture(scope="module")
def remix_catalog(tmp_path_factory, embedder):
    return build_catalog(tmp_path_factory.mktemp("remix-catalog"), embedder)


@pytest.fixture
def video_id(remix_catalog):
    """A sample script's catalog id (a content id)."""
    return remix_catalog.video_id


@pytest.fixture
def ctx(remix_catalog, embedder):
    media, vectors = remix_catalog.media, remix_catalog.vectors
    return RemixContext(media=media, embedder=embedder, vectors=vectors,
                        writer=FallbackWriter([]), transcripts=store_transcripts(media))


def test_off_topic_request_says_the_catalog_has_nothing_on_it(ctx):
    with pytest.raises(RemixRequestError) as info:
        retrieve("ancient roman emperors and their wars", ctx.embedder, ctx.vectors)
    assert "the catalog has nothing on this topic" in info.value.problem
    assert "roman emperors" in info.value.subject
    request = parse_request({"topic": "football world cup final", "mode": "supercut"})
    with pytest.raises(RemixRequestError, match="nothing on this topic"):
        plan_remix(request, ctx)


def test_candidates_are_relevant_and_spread_across_videos(ctx, video_id):
    spans = candidates("lower electricity bills with solar and a household budget",
                       ctx.embedder, ctx.vectors)
    assert {s.video_id for s in spans} == {video_id("home-solar-power"),
                                           video_id("personal-budgeting")}
    assert spans[0].video_id != spans[1].video_id


def test_mmr_prefers_a_new_video_over_a_near_duplicate():
    def hit(vid, score):
        return Hit(video_id=vid, chunk_index=0, start=0.0, end=5.0, score=score, text="")

    scored = [(hit("file-a", 0.60), 0.60), (hit("file-a", 0.58), 0.58), (hit("file-b", 0.5), 0.5)]
    vectors = np.array([[1.0, 0.0], [0.99, 0.141], [0.6, 0.8]], dtype=np.float32)
    assert [h.video_id for h, _ in mmr_order(scored, vectors)] == ["file-a", "file-b", "file-a"]
    assert [h.score for h, _ in mmr_order(scored, vectors, lam=1.0, same_video_penalty=0)] == [
        0.60, 0.58, 0.5]  # relevance only: plain ranking


def test_engagement_lifts_the_more_engaging_video(ctx):
    hits = retrieve("lower electricity bills with solar and a household budget", ctx.embedder,
                    ctx.vectors)
    plain = rerank(hits)
    loser = plain[-1][0].video_id
    boosted = rerank(hits, {loser: 1_000_000.0, plain[0][0].video_id: 10.0})
    assert [h.video_id for h, _ in plain] != [h.video_id for h, _ in boosted]
    assert dict((id(h), s) for h, s in boosted)[id(plain[-1][0])] > plain[-1][1]
    assert rerank(hits, {}) == plain  # no stats: relevance alone


def test_cuts_land_in_pauses_between_words(ctx):
    span = candidates(BREAD, ctx.embedder, ctx.vectors)[0]
    transcript = ctx.transcripts(span.video_id)
    cut = snap(span, transcript, max_seconds=6.0)
    assert cut.duration <= 6.0
    for t in (cut.start, cut.end):
        assert not any(w.start < t < w.end for w in transcript.words), t
    assert cut.text.rstrip().endswith((".", "!", "?")) or cut.duration < 6.0


def test_supercut_plan_hook_body_ending_on_word_boundaries(ctx):
    request = parse_request({"topic": BREAD, "mode": "supercut", "length": 30, "variants": 2})
    one, two = plan_remix(request, ctx)
    for plan in (one, two):
        roles = [s.role for s in plan.shots]
        assert roles[0] == "hook" and roles[-1] == "ending" and "body" in roles
        assert all(s.kind == "source" and s.source_audio for s in plan.shots)
        assert plan.shots[0].duration <= plans.HOOK_MAX_SECONDS
        assert 24.0 <= plan.duration <= 32.0, plan.duration
        for shot in plan.shots:
            words = ctx.transcripts(shot.span.video_id).words
            assert not any(w.start < shot.span.start < w.end or w.start < shot.span.end < w.end
                           for w in words)
    assert one.shots[0].span != two.shots[0].span  # variants open with different hooks


def test_extractive_writer_is_deterministic_cited_and_fits_length(ctx, video_id):
    request = parse_request({"topic": "how much energy solar panels and batteries give",
                             "mode": "narrated", "length": 30, "variants": 2})
    first = plan_remix(request, ctx)
    again = plan_remix(request, ctx)
    assert [p.model_dump() for p in first] == [p.model_dump() for p in again]
    script = first[0].script
    assert script.writer == "extractive"
    assert script.meta["providers_tried"] == [{"provider": "extractive", "reason": "ok"}]
    words = sum(word_count(line.text) for line in script.lines)
    assert 0.8 * 75 <= words <= 1.15 * 75, words  # 30 s at 2.5 words/s
    for line in script.lines:
        [source] = line.sources
        assert line.text == source.text  # extractive: every line is what a source said
        assert source.video_id == video_id("home-solar-power")
    assert first[0].script.lines[0].text != first[1].script.lines[0].text
    for shot, line in zip(first[0].shots, script.lines):
        assert shot.kind == "source" and not shot.source_audio and shot.narration == line.text
        assert shot.duration == speech_seconds(line.text)
        assert shot.span.duration >= shot.duration - 0.01 or shot.span.end >= ctx.transcripts(
            shot.span.video_id).duration - 0.01


def test_faceless_story_scenes_get_stills_or_cards(ctx, tmp_path, video_id):
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(b"jpeg")
    ctx.stills = lambda vid: poster if vid == video_id("houseplant-care") else None
    story = ("My fern was dying on the windowsill. I watered it every single day.\n\n"
             "Then I learned to check the soil with my finger before watering. "
             "A quantum computer factors large numbers with qubits.")
    request = parse_request({"mode": "faceless", "story": story, "length": 13})
    [plan] = plan_remix(request, ctx)
    narration = [s.narration for s in plan.shots]
    assert " ".join(narration) == " ".join(story.split())
    kinds = [s.kind for s in plan.shots]
    assert "still" in kinds and plan.shots[kinds.index("still")].image == str(poster)
    assert plan.script.lines[0].role == "hook" and plan.script.writer == "story"


def test_plans_are_written_atomically_where_compose_reads_them(ctx):
    request = parse_request({"topic": BREAD, "mode": "narrated", "length": 20})
    outputs = write_outputs(request, plan_remix(request, ctx), ctx)
    path = ctx.media.path(PLAN_ASSET, request.request_id, "variant-1.json")
    assert outputs[0].plan_path == path
    assert EditPlan.model_validate_json(path.read_text()) == outputs[0].plan
    before = path.stat().st_mtime_ns
    write_outputs(request, [outputs[0].plan], ctx)  # same plan: not rewritten
    assert path.stat().st_mtime_ns == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_audio_only_supercut_stitches_real_speech(tmp_path):
    wav = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav"
    out = tmp_path / "cut.m4a"
    stitch_audio([(wav, 0.2, 1.2), (wav, 1.5, 2.9), (wav, 0.0, 0.8)], out)  # a 2.99 s file
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                            "-of", "csv=p=0", str(out)], capture_output=True, text=True,
                           check=True)
    assert abs(float(probe.stdout) - 3.2) < 0.1


def test_extractive_writer_alone_needs_no_model(ctx, video_id):
    request = parse_request({"topic": "marathon long runs and taper", "length": 15})
    ranked = candidates(request.query, ctx.embedder, ctx.vectors)
    from pattern_pivot.remix.pipeline import _brief

    script = ExtractiveWriter().write(_brief(request, 1, ranked, ctx))
    assert script.lines[0].role == "hook" and script.lines[-1].role == "ending"
    assert all(s.video_id == video_id("marathon-training") for x in script.lines
               for s in x.sources)


def test_supercut_writes_its_audio_only_cut_next_to_the_plan(ctx, tmp_path):
    # Stand-in sources as long as the transcripts: a tone (the stitching is what is tested;
    # real speech is cut in test_audio_only_supercut_stitches_real_speech).
    tone = tmp_path / "tone.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=140", "-ar", "16000", str(tone)], check=True)
    ctx.sources = lambda vid: tone
    request = parse_request({"topic": BREAD, "mode": "supercut", "length": 20})
    [out] = write_outputs(request, plan_remix(request, ctx), ctx)
    assert out.audio_path == out.plan_path.with_suffix(".m4a")
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                            "-of", "csv=p=0", str(out.audio_path)], capture_output=True,
                           text=True, check=True)
    assert abs(float(probe.stdout) - out.plan.duration) < 0.2


def test_faceless_topic_is_scripted_then_shown_as_stills_and_cards(ctx, tmp_path, video_id):
    poster = tmp_path / "marathon.jpg"
    poster.write_bytes(b"jpeg")
    ctx.stills = lambda vid: poster if vid == video_id("marathon-training") else None
    request = parse_request({"topic": "marathon long runs and taper", "mode": "faceless",
                             "length": 20})
    [plan] = plan_remix(request, ctx)
    assert plan.script.writer == "extractive"
    # One still of the video: shown once, the other lines get cards rather than a repeat.
    assert plan.shots[0].kind == "still" and plan.shots[0].image == str(poster)
    assert [s.kind for s in plan.shots[1:]] == ["card"] * (len(plan.shots) - 1)
    assert [s.narration for s in plan.shots] == [line.text for line in plan.script.lines]
    ctx.stills = lambda vid: None
    [plan] = plan_remix(request, ctx)
    assert {s.kind for s in plan.shots} == {"card"}
    for shot in plan.shots:  # a card shows a whole sentence of its line, never a cut one
        assert shot.narration.startswith(shot.text) and shot.text.endswith((".", "!", "?"))


def test_faceless_scenes_get_the_footage_that_says_them_and_never_repeat(ctx, tmp_path):
    ctx.sources = lambda vid: tmp_path / "stored.mp4"  # every video's footage is stored
    story = ("Rooftop solar panels turn sunlight into electricity.\n\n"
             "A battery stores the surplus for the evening.\n\n"
             "Solar panels make electricity from sunlight on the roof.\n\n"
             "During an outage the battery keeps the lights on.")
    request = parse_request({"mode": "faceless", "story": story, "length": 13})
    [plan] = plan_remix(request, ctx)
    assert [s.kind for s in plan.shots] == ["source"] * 4
    spans = [s.span for s in plan.shots]
    for i, a in enumerate(spans):  # scenes 1 and 3 say the same: they still get new footage
        for b in spans[i + 1:]:
            assert a.video_id != b.video_id or a.end <= b.start or b.end <= a.start, (a, b)
    words = ctx.transcripts(spans[0].video_id).words
    first = next(w for w in words if w.start >= spans[0].start - 0.01)
    assert first.text.lower().startswith("rooftop")  # the sentence that matches, not the chunk


def test_extractive_hook_stands_alone_and_matches_the_topic():
    from pattern_pivot.remix.writers.extractive import pick_hook

    def sentence(text, start):
        return SourceSpan(video_id="file-x", start=start, end=start + 2, text=text)

    options = (sentence("Then attack your debt today.", 0.0), sentence("It helps.", 3.0),
               sentence("The avalanche method pays off the highest interest debt first.", 5.0),
               sentence("Money is a tool you can learn to use.", 9.0))
    assert pick_hook(options, "paying off debt").start == 5.0
    assert pick_hook(options[:2], "paying off debt").start == 0.0  # only fit: still a hook


def test_engagement_comes_from_the_stats_store(tmp_path):
    from pattern_pivot.stats.sqlite_store import SqliteStatsStore
    from pattern_pivot.stats.store import VideoStats

    store = SqliteStatsStore(tmp_path / "stats.sqlite")
    day = "2026-11-01"
    store.write_day(day, [
        VideoStats("yt-aaaaaaaaaaa", day, "UCx", views=1000, likes=10, comments=2, fetched_at=1.0),
        VideoStats("yt-bbbbbbbbbbb", day, "UCx", views=None, likes=5, comments=None,
                   fetched_at=1.0),
        VideoStats("yt-ccccccccccc", day, "UCx", views=50, likes=None, comments=None,
                   fetched_at=1.0)])
    engagement = engagement_from_stats(store.latest(
        ["yt-aaaaaaaaaaa", "yt-bbbbbbbbbbb", "yt-ccccccccccc", "file-0123456789abcdef"]))
    # Hidden views: no figure at all; hidden likes/comments count as 0; no stats: absent.
    assert engagement == {"yt-aaaaaaaaaaa": 1000 + 20 * 10 + 50 * 2, "yt-ccccccccccc": 50.0}

    def hit(vid):
        return Hit(video_id=vid, chunk_index=0, start=0.0, end=5.0, score=0.5, text="")

    ranked = rerank([hit("yt-ccccccccccc"), hit("yt-aaaaaaaaaaa")], engagement)
    assert ranked[0][0].video_id == "yt-aaaaaaaaaaa"
