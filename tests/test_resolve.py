"""Commands take a video by its id, its title or a unique prefix of either."""

import os
from pathlib import Path

import pytest

from pattern_pivot.catalog import UnknownVideoError, resolve_id, resolve_video_or_file
from pattern_pivot.errors import CatalogError, MediaError, PatternPivotError
from tests.conftest import COCKATOO, JFK, TALKING_HEAD_NO_AUDIO, copy_as

TITLES = {"file-0123456789abcdef": "Sourdough starter basics",
          "file-fedcba9876543210": "Sourdough scoring patterns",
          "yt-dQw4w9WgXcQ": "Pruning roses in winter"}


def test_an_id_a_title_or_a_unique_prefix_names_one_video():
    assert resolve_id("yt-dQw4w9WgXcQ", TITLES) == "yt-dQw4w9WgXcQ"
    assert resolve_id("  sourdough   STARTER basics ", TITLES) == "file-0123456789abcdef"
    assert resolve_id("Pruning", TITLES) == "yt-dQw4w9WgXcQ"
    assert resolve_id("sourdough sc", TITLES) == "file-fedcba9876543210"
    assert resolve_id("file-fed", TITLES) == "file-fedcba9876543210"


def test_words_inside_a_file_name_title_find_it():
    titles = {"file-1111111111111111": "01-sourdough-bread", "file-2222222222222222":
              "02-houseplant_care", "file-3333333333333333": "03-bread-of-the-day"}
    assert resolve_id("Sourdough Bread", titles) == "file-1111111111111111"
    assert resolve_id("houseplant", titles) == "file-2222222222222222"
    with pytest.raises(CatalogError, match="matches 2"):
        resolve_id("bread", titles)  # inside two titles


def test_an_exact_title_wins_over_longer_titles_it_begins():
    titles = {"a": "Bread", "b": "Bread and butter"}
    assert resolve_id("bread", titles) == "a"


def test_ambiguous_and_unknown_names_list_the_candidates():
    with pytest.raises(CatalogError) as ambiguous:
        resolve_id("sourdough", TITLES)
    assert not isinstance(ambiguous.value, UnknownVideoError)
    message = str(ambiguous.value)
    assert "matches 2: file-0123456789abcdef (Sourdough starter basics); " \
           "file-fedcba9876543210 (Sourdough scoring patterns)" in message
    assert "Fix: give more of the title, or the id" in message
    with pytest.raises(UnknownVideoError, match=r"'kombucha': matches no id or title \(known: "
                       r"file-0123456789abcdef \(Sourdough starter basics\);"):
        resolve_id("kombucha", TITLES)
    with pytest.raises(UnknownVideoError, match="is empty"):
        resolve_id("  ", TITLES)


def test_the_catalog_resolves_its_own_titles(catalog, tmp_path):
    bread = catalog.register_file(copy_as(COCKATOO, tmp_path / "Sourdough starter.mp4"))
    speech = catalog.register_file(copy_as(JFK, tmp_path / "Ask not.wav"))
    assert catalog.resolve("sourdough") == bread.video_id
    assert catalog.resolve("ASK NOT") == speech.video_id
    assert catalog.resolve(speech.video_id[:9]) == speech.video_id


def test_a_video_or_file_is_a_registered_id_or_a_file_with_sound(catalog, tmp_path):
    speech = catalog.register_file(copy_as(JFK, tmp_path / "Ask not.wav"))
    assert resolve_video_or_file("ask not", catalog, "shorts") == speech.video_id
    fresh = resolve_video_or_file(str(copy_as(COCKATOO, tmp_path / "bird.mp4")), catalog,
                                  "trailer")
    assert catalog.get(fresh).title == "bird"  # registered on the way
    # The command that asked is the one named (present used to say "shorts needs speech").
    with pytest.raises(PatternPivotError, match="presentation needs speech: .*silent.mp4: has "
                       "no audio track"):
        resolve_video_or_file(str(copy_as(TALKING_HEAD_NO_AUDIO, tmp_path / "silent.mp4")),
                              catalog, "presentation")
    with pytest.raises(PatternPivotError, match="kombucha: is neither a file nor"):
        resolve_video_or_file("kombucha", catalog, "shorts")


def test_the_catalog_refuses_a_name_it_could_not_store(catalog, tmp_path):
    # A Latin-1 name ("caf\xe9") from an old archive: SQLite can only store text.
    latin1 = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.wav"))
    latin1.write_bytes(JFK.read_bytes())
    with pytest.raises(MediaError, match=r"caf\\xe9.wav: has a name that is not valid UTF-8"):
        catalog.register_file(latin1)
    assert catalog.entries() == []


def test_commands_name_the_candidates_before_any_work(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pattern_pivot.catalog import Catalog
    from pattern_pivot.cli import app

    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(tmp_path / "data"))
    catalog = Catalog(tmp_path / "data" / "catalog.sqlite")
    for name in ("Sourdough starter.mp4", "Sourdough scoring.mp4"):
        catalog.register_file(copy_as(COCKATOO if "starter" in name else JFK, tmp_path / name))
    runner = CliRunner()
    for args in (["search", "bread", "--video", "sourdough"], ["ingest", "sourdough"],
                 ["shorts", "sourdough"], ["subtitles", "sourdough"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "'sourdough': matches 2: file-" in result.output, (args, result.output)
    assert not (tmp_path / "data" / "dagster").exists()  # nothing was started
