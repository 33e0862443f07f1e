"""Scripts a person would read aloud: whole sentences that stand on their own, an arc from a
hook to a closing statement, no repeats, and the length the voice needs for the target."""

from __future__ import annotations

import pytest

from pattern_pivot.remix.pipeline import RemixContext, plan_remix
from pattern_pivot.remix.request import parse_request
from pattern_pivot.remix.script_check import check_script
from pattern_pivot.remix.spans import store_transcripts
from pattern_pivot.remix.types import Script, ScriptLine, SourceSpan
from pattern_pivot.remix.writers import ExtractiveWriter, FallbackWriter
from pattern_pivot.remix.writers.base import ScriptBrief
from pattern_pivot.remix.writers.sentences import is_complete, stands_alone, whole_sentences
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from tests.remix_support import build_catalog

# How people talk on camera: replies, pause-cut pieces, lines leaning on the one before,
# housekeeping, and a near-repeat. (Times as a transcript gives them.)
SPOKEN = [
    ("Welcome back to the channel, everyone.", 0.0),
    ("Sharing your work under an open licence lets others build on it.", 2.5),
    ("That's true.", 6.0),
    ("It's easy.", 7.0),
    ("When you share,", 8.0),
    ("your creative wealth grows with every remix.", 9.2),
    ("When", 12.0),
    ("A licence tells people what they may do with your work.", 13.0),
    ("It also tells them how to credit you.", 16.5),
    ("Finally, pick the licence before you publish.", 19.0),
    ("A licence tells people what they may do with the work.", 22.0),
    ("Attribution is the one condition almost every open licence shares.", 25.0),
    ("Choose a licence once and your audience knows how to reuse everything you make.", 29.0),
]


def _brief(target: float, variant: int = 1, wps: float = 2.5) -> ScriptBrief:
    spans = tuple(SourceSpan(video_id="file-talk", start=t, end=t + 0.3 * len(text.split()),
                             text=text) for text, t in SPOKEN)
    half = len(spans) // 2
    segments = (SourceSpan(video_id="file-talk", start=0.0, end=spans[half - 1].end),
                SourceSpan(video_id="file-talk", start=spans[half].start, end=spans[-1].end))
    return ScriptBrief("remix-test", variant, "sharing creative work under open licences",
                       target, segments, (spans[:half], spans[half:]), wps)


def test_sentences_that_lean_on_context_are_recognised():
    assert not is_complete("When") and not is_complete("That's true.")
    assert not stands_alone("It's easy to share.") and not stands_alone("Finally, pick one now.")
    assert not stands_alone("Welcome back to the channel, everyone.")
    assert not is_complete("When you share your creative wealth.")  # no main clause
    assert not is_complete("and then you share it with the.")
    assert stands_alone("Sharing your work under an open licence lets others build on it.")
    pieces = [SourceSpan(video_id="v", start=8.0, end=9.0, text="When you share,"),
              SourceSpan(video_id="v", start=9.2, end=12.0,
                         text="your creative wealth grows with every remix.")]
    [joined] = whole_sentences(pieces)
    assert joined.text == "When you share, your creative wealth grows with every remix."
    assert (joined.start, joined.end) == (8.0, 12.0) and is_complete(joined.text)


@pytest.mark.parametrize("target", [10.0, 20.0, 30.0])
def test_extractive_script_is_an_arc_of_standalone_sentences(target):
    script = ExtractiveWriter().write(_brief(target))
    texts = [line.text for line in script.lines]
    assert texts[0] and stands_alone(texts[0]) and script.lines[0].role == "hook"
    assert all(is_complete(t) for t in texts), texts
    for dropped in ("That's true.", "It's easy.", "When", "When you share,",
                    "Welcome back to the channel, everyone."):
        assert dropped not in texts
    assert not ("A licence tells people what they may do with your work." in texts
                and "A licence tells people what they may do with the work." in texts)
    assert "Finally" not in texts[0]
    if len(texts) > 1:
        assert script.lines[-1].role == "ending" and texts[-1].endswith(".")
    assert all(f.passed for f in check_script(script, target, 2.5)), \
        [f for f in check_script(script, target, 2.5) if not f.passed]


def test_script_check_names_each_problem():
    def script(*texts: str) -> Script:
        return Script(request_id="r", title="t", writer="test",
                      lines=tuple(ScriptLine(text=t) for t in texts))

    good = script("Open licences let others build on your work.",
                  "Attribution is the condition almost every licence shares.")
    assert all(f.passed for f in check_script(good, 6.0, 2.5))
    bad = {f.name: f for f in check_script(
        script("Open licences let others build on your work.", "When",
               "Open licences let others build on your work!",
               "and the reuse of everything you make,"), 60.0, 2.5)}
    assert not bad["complete_sentences"].passed and bad["complete_sentences"].value == 2
    assert not bad["no_repeated_line"].passed
    assert not bad["ends_on_full_stop"].passed
    assert not bad["spoken_length"].passed and bad["spoken_length"].value < 45


@pytest.fixture(scope="module")
def catalog_ctx(tmp_path_factory):
    embedder = SentenceEmbedder()
    world = build_catalog(tmp_path_factory.mktemp("scripts"), embedder)
    return RemixContext(media=world.media, embedder=embedder, vectors=world.vectors,
                        writer=FallbackWriter([]), transcripts=store_transcripts(world.media),
                        words_per_second=3.5)  # the bundled voice's pace, roughly


@pytest.mark.parametrize("topic", ["how much energy solar panels and batteries give",
                                   "feeding a sourdough starter", "watering houseplants"])
def test_scripts_on_the_sample_catalog_pass_the_rubric(catalog_ctx, topic):
    request = parse_request({"topic": topic, "mode": "narrated", "length": 30, "variants": 2})
    plans = plan_remix(request, catalog_ctx)
    for plan in plans:
        findings = check_script(plan.script, 30.0, 3.5)
        assert all(f.passed for f in findings), [f for f in findings if not f.passed]
        assert 2 <= plan.script.meta["points"] <= 6
    assert plans[0].script.lines[0].text != plans[1].script.lines[0].text


@pytest.mark.parametrize("mode", ["supercut", "narrated"])
def test_thin_material_is_named_before_anything_renders(catalog_ctx, mode):
    from pattern_pivot.remix.request import RemixRequestError

    topic = "feeding a sourdough starter"
    with pytest.raises(RemixRequestError) as info:
        plan_remix(parse_request({"topic": topic, "mode": mode, "length": 600}), catalog_ctx)
    message = str(info.value)
    assert "the catalog has about" in message and "you asked for 600 s" in message
    assert "--allow-shorter" in message and "lower --length" in message
    [plan] = plan_remix(parse_request({"topic": topic, "mode": mode, "length": 600,
                                       "allow_shorter": True}), catalog_ctx)
    assert plan.target_seconds < 600 * 0.75
    assert plan.duration == pytest.approx(plan.target_seconds, rel=0.25)
    assert parse_request({"topic": topic}).request_id == parse_request(
        {"topic": topic, "allow_shorter": False}).request_id


def test_a_story_that_cannot_fit_the_length_is_named_before_rendering(catalog_ctx):
    from pattern_pivot.remix.request import RemixRequestError

    story = "My first loaf came out flat. I learned that the starter must double first."
    with pytest.raises(RemixRequestError) as info:  # ~4 s of story for a 30 s request
        plan_remix(parse_request({"mode": "faceless", "story": story, "length": 30}),
                   catalog_ctx)
    assert "takes about 4 s to narrate" in str(info.value) and "--length 5" in str(info.value)
    with pytest.raises(RemixRequestError, match="shorten the story"):
        plan_remix(parse_request({"mode": "faceless", "story": " ".join([story] * 20),
                                  "length": 30}), catalog_ctx)
    [plan] = plan_remix(parse_request({"mode": "faceless", "story": story, "length": 30,
                                       "allow_shorter": True}), catalog_ctx)
    assert plan.target_seconds == pytest.approx(14 / 3.5, abs=0.01)
