"""Remix requests: validation with clear errors, content-derived ids, files and the store."""

from __future__ import annotations

import pytest

from pattern_pivot.remix.request import (
    RemixRequestError,
    load_request_file,
    parse_request,
)
from pattern_pivot.remix.store import RemixStore


def test_same_request_same_id_and_normalised_topic():
    a = parse_request({"topic": "  Sourdough   starter ", "mode": "supercut", "format": "1:1",
                       "length": 30})
    b = parse_request({"topic": "sourdough starter", "mode": "SUPERCUT", "aspect": "1:1",
                       "length_seconds": "30"})
    assert a.request_id == b.request_id and a.request_id.startswith("remix-")
    assert len(a.request_id) == len("remix-") + 16
    assert parse_request({"topic": "sourdough starter", "mode": "supercut", "format": "1:1",
                          "length": 31}).request_id != a.request_id


@pytest.mark.parametrize("fields, field, words", [
    ({"topic": "   "}, "topic", "is empty"),
    ({"topic": "bread", "mode": "vlog"}, "mode", "supercut, narrated, faceless"),
    ({"topic": "bread", "format": "4:3"}, "format", "9:16, 1:1, 16:9"),
    ({"topic": "bread", "length": 2}, "length", "5 to 600"),
    ({"topic": "bread", "length": 3600}, "length", "out of range"),
    ({"topic": "bread", "length": "long"}, "length", "not a number"),
    ({"topic": "bread", "variants": 9}, "variants", "1 to 5"),
    ({"topic": "bread", "colour": "red"}, "colour", "not a remix request field"),
    ({"topic": "bread", "story": "Once upon a time."}, "story", "only used in faceless mode"),
])
def test_bad_fields_name_the_field_the_problem_and_the_fix(fields, field, words):
    with pytest.raises(RemixRequestError) as info:
        parse_request(fields)
    assert f"'{field}'" in info.value.subject
    assert words in str(info.value)
    assert info.value.fix


def test_faceless_takes_a_story_without_a_topic():
    request = parse_request({"mode": "faceless", "story": "First scene. Second scene."})
    assert request.topic == "" and request.query.startswith("First scene")


def test_request_files_yaml_and_json(tmp_path):
    (tmp_path / "a.yaml").write_text("topic: solar batteries\nmode: supercut\nformat: '16:9'\n"
                                     "length: 20\nvariants: 2\n")
    (tmp_path / "b.json").write_text('{"topic": "solar batteries", "mode": "supercut", '
                                     '"format": "16:9", "length": 20, "variants": 2}')
    assert load_request_file(tmp_path / "a.yaml") == load_request_file(tmp_path / "b.json")
    (tmp_path / "bad.yaml").write_text("topic: [unclosed\n")
    with pytest.raises(RemixRequestError, match="cannot be parsed"):
        load_request_file(tmp_path / "bad.yaml")
    (tmp_path / "mode.yaml").write_text("topic: x\nmode: podcast\n")
    with pytest.raises(RemixRequestError) as info:
        load_request_file(tmp_path / "mode.yaml")
    assert "mode.yaml" in info.value.subject and "'mode'" in info.value.subject


def test_store_keeps_one_row_per_request_and_tracks_runs(tmp_path):
    store = RemixStore(tmp_path / "remixes.sqlite")
    request = parse_request({"topic": "marathon taper"})
    assert store.save(request) == store.save(request, source="file:x.yaml") == request.request_id
    assert store.ids() == [request.request_id]
    assert store.get(request.request_id) == request
    assert store.pending() == [request.request_id]
    store.mark_requested([request.request_id])
    assert store.pending() == []
    with pytest.raises(RemixRequestError, match="is not stored"):
        store.get("remix-0000000000000000")
