"""Remix requests: validation with clear errors, content-derived ids, files and the store."""

from __future__ import annotations

import sqlite3

import pytest

from pattern_pivot.remix.request import (
    MAX_REQUEST_FILE_BYTES,
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


# Request files come from a folder anyone may write to: each bad one is a clear error naming
# the file, found cheaply, never a crash, a hang or gigabytes of memory.

def _alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        refs = ",".join([f"*a{n - 1}"] * 9)
        lines.append(f"a{n}: &a{n} [{refs}]")
    return "\n".join(lines) + f"\ntopic: *a{levels - 1}\n"


def test_yaml_anchors_and_aliases_are_refused(tmp_path):
    # 4 levels expand to 6,561 strings (the 9 levels: 387 million, 2.3 GB); small
    # enough to stay harmless where aliases are still expanded.
    (tmp_path / "bomb.yaml").write_text(_alias_bomb(4))
    with pytest.raises(RemixRequestError) as info:
        load_request_file(tmp_path / "bomb.yaml")
    assert "bomb.yaml" in info.value.subject and "alias" in info.value.problem
    assert "line 1, column 5" in info.value.problem and "no anchors or aliases" in info.value.fix
    (tmp_path / "anchor.yaml").write_text("topic: &t bread\n")
    with pytest.raises(RemixRequestError, match="anchor or alias"):
        load_request_file(tmp_path / "anchor.yaml")


def test_a_request_file_over_the_size_cap_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("topic: bread\n" + "# padding\n" * (MAX_REQUEST_FILE_BYTES // 10))
    with pytest.raises(RemixRequestError) as info:
        load_request_file(path)
    assert "big.yaml" in info.value.subject and "over 128 KiB" in info.value.problem


def test_a_file_that_is_not_utf8_names_the_file_and_the_byte(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("topic: café au lait\n".encode("latin-1"))
    with pytest.raises(RemixRequestError) as info:
        load_request_file(path)
    assert "latin1.yaml" in info.value.subject
    assert "not UTF-8" in info.value.problem and "0xe9" in info.value.problem
    assert "UTF-8" in info.value.fix


@pytest.mark.parametrize("suffix, text", [(".json", "[" * 60_000 + "]" * 60_000),
                                          (".yaml", "topic: " + "[" * 60_000)])
def test_deeply_nested_files_are_a_parse_error(tmp_path, suffix, text):
    path = tmp_path / f"deep{suffix}"
    path.write_text(text)
    with pytest.raises(RemixRequestError, match="cannot be parsed"):
        load_request_file(path)


@pytest.mark.parametrize("fields, field, words", [
    ({"topic": ["bread", "butter"]}, "topic", "is a list, not text"),
    ({"topic": {"a": 1}}, "topic", "is a mapping, not text"),
    ({"topic": "bread", "mode": ["supercut"]}, "mode", "is a list, not text"),
    ({"topic": "bread", "story": {"x": 1}, "mode": "faceless"}, "story", "not text"),
    ({"topic": "bread", "length": [45]}, "length", "not a number"),
    ({"topic": "bread", "length": True}, "length", "not a number"),
    ({"topic": "bread", "length": 10 ** 400}, "length", "not a number"),
    ({"topic": "bread", "variants": 2.5}, "variants", "not a whole number"),
    ({"topic": "bread", 7: "x"}, "7", "not a remix request field"),
])
def test_fields_are_type_checked_before_they_are_converted(fields, field, words):
    with pytest.raises(RemixRequestError) as info:
        parse_request(fields)
    assert field in info.value.subject and words in str(info.value)


def test_an_unquoted_yaml_format_says_to_quote_it(tmp_path):
    (tmp_path / "wide.yaml").write_text("topic: bread\nformat: 16:9\n")  # YAML: 969
    with pytest.raises(RemixRequestError) as info:
        load_request_file(tmp_path / "wide.yaml")
    assert "'format'" in info.value.subject and 'format: "16:9"' in info.value.fix
    assert parse_request({"topic": 1984}).topic == "1984"  # a number is fine as a topic


def test_resubmitting_a_request_makes_a_new_submission_to_run(tmp_path):
    store = RemixStore(tmp_path / "remixes.sqlite")
    request = parse_request({"topic": "marathon taper"})
    store.save(request)
    [first] = store.pending_submissions()
    store.mark_requested_through(first.number)
    assert store.pending() == []
    store.save(request, source="ui")
    [second] = store.pending_submissions()
    assert second.request_id == request.request_id and second.number > first.number
    # The same file version read again (a retried tick) is the same submission.
    store.save(request, source="file:a.yaml", key="file:a.yaml@1:2")
    [third] = store.pending_submissions()
    store.save(request, source="file:a.yaml", key="file:a.yaml@1:2")
    assert store.pending_submissions() == [third]
    store.mark_requested([request.request_id])  # the CLI runs it itself
    assert store.pending_submissions() == []


def test_a_store_from_before_submissions_keeps_its_pending_requests(tmp_path):
    path = tmp_path / "remixes.sqlite"
    old, ran = parse_request({"topic": "old and unrun"}), parse_request({"topic": "old, ran"})
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE remix_requests (request_id TEXT PRIMARY KEY, body TEXT NOT"
                     " NULL, source TEXT NOT NULL, created_at REAL NOT NULL, requested INTEGER"
                     " NOT NULL DEFAULT 0)")
        conn.executemany("INSERT INTO remix_requests VALUES (?, ?, 'cli', 1.0, ?)",
                         [(old.request_id, old.model_dump_json(), 0),
                          (ran.request_id, ran.model_dump_json(), 1)])
    store = RemixStore(path)
    assert store.pending() == [old.request_id]
    store.save(ran)
    assert store.pending() == [old.request_id, ran.request_id]


def test_a_binary_or_huge_story_file_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pattern_pivot.cli import app

    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "story.bin").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "story.txt").write_text("Once upon a time. " * 10_000)
    for name, words in [("story.bin", "is not UTF-8 text"), ("story.txt", "over 128 KiB")]:
        result = CliRunner().invoke(app, ["remix", "--mode", "faceless", "--story-file",
                                          str(tmp_path / name)])
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
        assert name in result.output and words in result.output and "Fix:" in result.output
