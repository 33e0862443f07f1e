"""Copy inside YouTube's documented limits: long and odd titles repaired, description bytes,
tag budget with quoted multi-word tags, hashtag count, chapter rules, credits that link the
sources, and key phrases ranked with the bundled embeddings."""

import pytest

from pattern_pivot.publish.copy import build_copy, plan_chapters, rank_phrases
from pattern_pivot.publish.limits import (
    DESCRIPTION_MAX_BYTES,
    TAGS_MAX_CHARS,
    TITLE_MAX_CHARS,
    Chapter,
    chapters_valid,
    fit_chapters,
    repair_description,
    repair_hashtags,
    repair_tags,
    repair_title,
    tags_length,
    validate,
)
from pattern_pivot.remix.types import EditPlan, Script, ScriptLine, Shot, SourceSpan


def test_long_title_is_cut_at_a_word_within_100_characters():
    title = "How the sulphur-crested cockatoo learned to scream " * 4
    fixed = repair_title(title)
    assert len(fixed) <= TITLE_MAX_CHARS and fixed.endswith("…")
    body = fixed[:-1]
    assert title.startswith(body) and title[len(body)] == " "  # cut where a word ended
    one_word = "A" * 250
    assert len(repair_title(one_word)) == TITLE_MAX_CHARS  # nowhere to cut: hard cut


def test_odd_title_loses_angle_brackets_control_characters_and_newlines():
    fixed = repair_title("<b>Birds</b>\n\tthat >scream<\x07 \u00e9clair 🦜")
    assert "<" not in fixed and ">" not in fixed and "\n" not in fixed and "\x07" not in fixed
    assert fixed == "‹b›Birds‹/b› that ›scream‹ \u00e9clair 🦜"
    assert repair_title("  \n ") == "Untitled remix"
    assert validate(fixed, "", []) == []
    assert any("< or >" in p for p in validate("a <b>", "", []))
    assert any("101 characters" in p for p in validate("x" * 101, "", []))


def test_description_is_cut_to_5000_utf8_bytes_not_characters():
    text = ("Les cacatoès crient à l'aube — 🦜 " * 400) + "<end>"
    fixed = repair_description(text)
    assert len(fixed.encode("utf-8")) <= DESCRIPTION_MAX_BYTES
    assert len(text) > DESCRIPTION_MAX_BYTES // 4  # many characters are multi-byte
    assert "<" not in fixed and ">" not in fixed and fixed.endswith("…")
    assert validate("t", fixed, []) == []
    assert any("bytes" in p for p in validate("t", "é" * 2501, []))


def test_tags_count_quotes_around_spaces_and_commas_within_500():
    assert tags_length(["bird", "cockatoo scream"]) == 4 + 1 + (15 + 2)
    tags = [f"cockatoo call {i}" for i in range(60)] + ["Bird", "bird", "x,y"]
    fixed = repair_tags(tags)
    assert tags_length(fixed) <= TAGS_MAX_CHARS
    assert sum(t.lower() == "bird" for t in fixed) <= 1 and "x,y" not in fixed
    assert any("tags total" in p for p in validate("t", "", tags))


def test_hashtags_are_few_and_more_than_60_are_flagged():
    assert repair_hashtags(["cockatoo calls", "#Birds", "birds", "dawn chorus", "x"]) == [
        "#CockatooCalls", "#Birds", "#DawnChorus"]
    too_many = " ".join(f"#tag{i}" for i in range(61))
    assert any("ignores them all" in p for p in validate("t", too_many, []))
    assert not validate("t", " ".join(f"#tag{i}" for i in range(60)), [])


def test_chapters_follow_youtubes_rules_or_are_left_out():
    chapters = [Chapter(0, "Intro"), Chapter(4, "Too soon"), Chapter(12, "Calls"),
                Chapter(30, "Flock"), Chapter(55, "End credits")]
    fixed = fit_chapters(chapters, 60.0)
    assert [c.start for c in fixed] == [0, 12, 30]  # 4 s merged, last (5 s) dropped
    assert chapters_valid(fixed, 60.0)
    assert fit_chapters(chapters, 25.0) == []  # too short for three 10 s chapters
    assert not chapters_valid([Chapter(1, "a"), Chapter(12, "b"), Chapter(30, "c")], 60)


def _narrated(seconds_each: float, title: str = "Why cockatoos scream") -> EditPlan:
    span = SourceSpan(video_id="yt-abcdefghijk", start=61.7, end=70.0,
                      text="cockatoos call to the flock")
    local = SourceSpan(video_id="file-0123456789abcdef", start=5.0, end=9.0)
    lines = ("Why do cockatoos scream at dawn?", "They call to keep the flock together.",
             "Each bird has its own voice.", "Follow for more bird facts.")
    shots = tuple(Shot(kind="source", duration=seconds_each, span=span if i % 2 else local,
                       narration=text, role="hook" if i == 0 else "body")
                  for i, text in enumerate(lines))
    script = Script(request_id="remix-x", title=title, writer="extractive", lines=tuple(
        ScriptLine(text=t, sources=(span,)) for t in lines))
    return EditPlan(request_id="remix-x", mode="narrated", aspect="16:9",
                    target_seconds=seconds_each * 4, shots=shots, script=script, title=title)


def _lookup(video_id):
    return {"yt-abcdefghijk": ("Cockatoo <live> at dawn", "https://www.youtube.com/watch?v=abc"),
            "file-0123456789abcdef": ("garden birds", "/videos/garden birds.mp4")}[video_id]


def test_copy_of_a_long_narrated_output_has_chapters_credits_and_stays_valid():
    plan = _narrated(15.0, title="<Cockatoos> " + "really " * 30 + "loud")
    copy = build_copy(plan, topic="cockatoo calls", spoken_text="", duration=60.0,
                      lookup=_lookup, encoder=None)
    assert copy.problems == ()
    assert len(copy.title) <= TITLE_MAX_CHARS and "<" not in copy.title
    assert [c.start for c in copy.chapters] == [0.0, 15.0, 30.0, 45.0]
    desc = copy.description
    assert "0:00 Why do cockatoos scream at dawn\n" in desc and "0:45 Follow for more" in desc
    # The YouTube source links to where the cut starts; the local file is named.
    assert "https://www.youtube.com/watch?v=abcdefghijk&t=61s" in desc
    assert "garden birds (from 0:05)" in desc
    assert "‹live›" in desc and "<" not in desc
    assert "synthetic voice" in desc  # a narrated output says its voice is synthetic
    assert copy.hashtags[0] == "#CockatooCalls" and len(copy.hashtags) <= 3
    assert desc.rstrip().endswith(" ".join(copy.hashtags))
    assert copy.tags[0] == "cockatoo calls" and tags_length(list(copy.tags)) <= 500


def test_short_output_has_no_chapters():
    plan = _narrated(5.0)
    assert plan_chapters(plan, 20.0) == []
    copy = build_copy(plan, topic="", spoken_text="", duration=20.0, lookup=_lookup,
                      encoder=None)
    assert copy.chapters == () and "Chapters" not in copy.description


@pytest.fixture(scope="module")
def encoder():
    from pattern_pivot.retrieval.embeddings import SentenceEmbedder

    return SentenceEmbedder().encode


def test_key_phrases_are_ranked_by_the_embeddings_not_by_order(encoder):
    text = ("Well, so, today I mean we talk. Cockatoos scream at dawn to keep the flock "
            "together. The sulphur-crested cockatoo is among the loudest parrots in Australia. "
            "Its call carries for kilometres across the bush.")
    phrases = rank_phrases(text, encoder, top=4)
    assert len(phrases) == 4 and len({p.lower() for p in phrases}) == 4
    assert any("cockatoo" in p.lower() for p in phrases[:2])
    assert not any(p.lower() in ("today", "mean", "talk") for p in phrases)


def test_llm_titles_lead_through_the_provider_chain_and_still_obey_the_limits():
    import json

    from pattern_pivot.llm.providers import ProviderConfig
    from pattern_pivot.publish.llm_copy import llm_title_writer
    from tests.remix_support import FakeOpenAI, error_body

    reply = json.dumps({"titles": ["Why <Cockatoos> Scream at Dawn " + "x" * 120,
                                   "The Loudest Parrot"],
                        "keyphrases": ["dawn chorus", "flock calls"]})
    with FakeOpenAI([(429, error_body(429))]) as busy, FakeOpenAI([(200, reply)]) as good:
        writer = llm_title_writer([
            ProviderConfig(name="busy", base_url=busy.base_url, model="m", timeout=10),
            ProviderConfig(name="good", base_url=good.base_url, model="m", timeout=10)])
        copy = build_copy(_narrated(15.0), topic="cockatoo calls", spoken_text="",
                          duration=60.0, lookup=_lookup, encoder=None, title_writer=writer)
    assert copy.writer == "good"
    assert copy.titles[0].startswith("Why ‹Cockatoos› Scream at Dawn")
    assert len(copy.titles[0]) <= TITLE_MAX_CHARS and copy.titles[1] == "The Loudest Parrot"
    assert copy.keyphrases[:2] == ("dawn chorus", "flock calls")
    assert copy.problems == ()
    assert "cockatoo" in good.requests[0]["body"]["messages"][1]["content"].lower()


def test_unreadable_llm_replies_leave_the_copy_extractive():
    from pattern_pivot.llm.providers import ProviderConfig
    from pattern_pivot.publish.llm_copy import llm_title_writer
    from tests.remix_support import FakeOpenAI

    with FakeOpenAI([(200, "Sure! Here are some great titles for you.")]) as chatty:
        writer = llm_title_writer([ProviderConfig(name="chatty", base_url=chatty.base_url,
                                                  model="m", timeout=10)])
        copy = build_copy(_narrated(15.0), topic="cockatoo calls", spoken_text="",
                          duration=60.0, lookup=_lookup, encoder=None, title_writer=writer)
    assert copy.writer == "extractive" and copy.titles[0] == "Why cockatoos scream"
