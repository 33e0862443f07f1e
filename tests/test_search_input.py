"""`pattern-pivot search` refuses bad input before it loads the embedding model: the
embedding model is set to a directory that does not exist, so any error about the query
proves the query was checked first."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("pattern-pivot"))


def _search(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data"),
           "PATTERN_PIVOT_EMBEDDING_MODEL": str(tmp_path / "no such model")}
    return subprocess.run([CLI, "search", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), [
    (("",), 'error: search query: is empty. Fix: say what to look for'),
    (("   ",), 'error: search query: is empty. Fix: say what to look for'),
    (("x" * 5000,), "error: search query: is 5,000 characters long; at most 1,000 are read. "
                    "Fix: shorten it"),
    # --video is resolved against the catalog (an id, a title or words of one), so a filter
    # expression never reaches Milvus: it names no video.
    (("roses", "--video", "file-1 or 1==1"), "error: video 'file-1 or 1==1': matches no id "
                                              "or title"),
])
def test_bad_search_input_is_refused_before_the_model_loads(tmp_path, args, message):
    proc = _search(tmp_path, *args)
    assert proc.returncode == 2
    assert proc.stderr.startswith(message), proc.stderr
    assert "no such model" not in proc.stderr and proc.stdout == ""


@pytest.mark.slow
def test_a_query_at_the_bound_reaches_the_model(tmp_path):
    proc = _search(tmp_path, "x" * 1000)
    assert proc.returncode == 2
    assert "no such model" in proc.stderr  # past the query checks, on to loading the model
