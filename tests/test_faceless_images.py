"""Faceless pictures beyond the catalog: the user's own image folder, matched by file name,
and an OpenAI-compatible images endpoint (a local fake speaking its real shapes, through
the real openai client), cached, with its cost recorded; neither is ever required."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from pattern_pivot.remix.images import IMAGES_ENV, ImageFolder, images_backend_from_env
from pattern_pivot.remix.pipeline import RemixContext, plan_remix
from pattern_pivot.remix.request import parse_request
from pattern_pivot.remix.spans import store_transcripts
from pattern_pivot.remix.writers import FallbackWriter
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from tests.remix_support import FakeOpenAI, build_catalog

STORY = ("My grandmother baked a sourdough loaf every Sunday.\n\n"
         "On the roof, new solar panels caught the morning sun.\n\n"
         "A marathon runner jogged past the bakery at dawn.")


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 96), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    embedder = SentenceEmbedder()
    return embedder, build_catalog(tmp_path_factory.mktemp("faceless"), embedder)


def _ctx(world, **pictures) -> RemixContext:
    embedder, catalog = world
    return RemixContext(media=catalog.media, embedder=embedder, vectors=catalog.vectors,
                        writer=FallbackWriter([]), transcripts=store_transcripts(catalog.media),
                        **pictures)


def test_the_users_own_pictures_are_matched_by_name_and_never_repeated(world, tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    for name in ("fresh-sourdough-bread-loaf.png", "solar_panels_on_a_roof.png",
                 "tax-forms.png"):
        (folder / name).write_bytes(_png("white"))
    request = parse_request({"mode": "faceless", "story": STORY, "length": 11})
    [plan] = plan_remix(request, _ctx(world, image_folder=ImageFolder(folder, world[0])))
    images = [s.image for s in plan.shots]
    assert images[0].endswith("fresh-sourdough-bread-loaf.png")
    assert images[1].endswith("solar_panels_on_a_roof.png")
    assert plan.shots[2].kind != "still" or not plan.shots[2].image.endswith("tax-forms.png")
    assert len({i for i in images if i}) == len([i for i in images if i])


def test_generated_pictures_are_cached_and_their_cost_recorded(world, tmp_path, monkeypatch):
    picture = {"created": 1_700_000_000, "data": [{"b64_json": base64.b64encode(
        _png("orange")).decode(), "revised_prompt": "a picture"}]}
    with FakeOpenAI([(200, picture)] * 3) as server:
        monkeypatch.setenv("PP_TEST_IMAGES_KEY", "sk-test-images")
        monkeypatch.setenv(IMAGES_ENV, json.dumps({
            "base_url": server.base_url, "model": "dall-e-3", "api_key_env": "PP_TEST_IMAGES_KEY",
            "size": "1024x1792", "cost_per_image": 0.08}))
        backend = images_backend_from_env(tmp_path / "cache")
        request = parse_request({"mode": "faceless", "story": STORY, "length": 11})
        [plan] = plan_remix(request, _ctx(world, images=backend))
        assert [s.kind for s in plan.shots] == ["still"] * 3
        assert plan.script.meta["images"] == {"generated": 3, "cached": 0, "cost": 0.24,
                                              "failed": [], "model": "dall-e-3"}
        sent = server.requests
        assert [r["path"] for r in sent] == ["/v1/images/generations"] * 3
        assert sent[0]["auth"] == "Bearer sk-test-images"
        assert sent[0]["body"]["size"] == "1024x1792" and "sourdough" in sent[0]["body"]["prompt"]
        [again] = plan_remix(request, _ctx(world, images=backend))  # cached: no request
        assert len(server.requests) == 3
        assert again.script.meta["images"]["cached"] == 3
        assert again.script.meta["images"]["cost"] == 0.0


def test_a_failing_images_endpoint_falls_back_and_says_so(world, tmp_path, monkeypatch):
    error = {"error": {"message": "Internal error", "type": "server_error"}}
    with FakeOpenAI([(500, error)] * 12) as server:
        monkeypatch.setenv(IMAGES_ENV, json.dumps({"base_url": server.base_url,
                                                   "model": "img"}))
        backend = images_backend_from_env(tmp_path / "cache")
        request = parse_request({"mode": "faceless", "story": STORY, "length": 11})
        [plan] = plan_remix(request, _ctx(world, images=backend))
    assert {s.kind for s in plan.shots} <= {"card", "still", "source"}
    assert plan.script.meta["images"]["generated"] == 0
    assert len(plan.script.meta["images"]["failed"]) == 3


def test_a_bad_images_setting_is_a_clear_error(tmp_path, monkeypatch):
    from pattern_pivot.remix.images import ImagesConfigError

    monkeypatch.setenv(IMAGES_ENV, '{"base_url": "ftp://x", "model": "m"}')
    with pytest.raises(ImagesConfigError, match="http"):
        images_backend_from_env(tmp_path)
    monkeypatch.setenv(IMAGES_ENV, '{"base_url": "https://x/v1", "model": "m", '
                                   '"api_key_env": "AWS_SECRET_ACCESS_KEY"}')
    with pytest.raises(ImagesConfigError, match="API key"):
        images_backend_from_env(tmp_path)
