"""The code stays lint-clean (ruff, rules in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_ruff_is_clean():
    ruff = str(Path(sys.executable).with_name("ruff"))
    proc = subprocess.run([ruff, "check", "pattern_pivot", "assets", "resources", "sensors",
                           "tests"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_end_to_end_tests_are_marked_slow():
    """`-m "not slow"` (README) must leave out every test that runs the CLI or dagster in a
    subprocess or a whole Dagster job, or the quick tier is not quick."""
    import ast
    import re

    unmarked = []
    for path in sorted((REPO / "tests").glob("test_*.py")):
        if path.name == Path(__file__).name:  # this test names what it looks for
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        module_slow = any(isinstance(n, ast.Assign) and any(
            getattr(t, "id", "") == "pytestmark" for t in n.targets)
            and "slow" in ast.get_source_segment(source, n) for n in tree.body)
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            body = ast.get_source_segment(source, node)
            # Whole words: a file named "clip" is not the CLI.
            runs_cli = "subprocess" in body and re.search(r"\b(CLI|cli|dagster)\b", body)
            runs_job = any(k in body for k in ("execute_in_process", "materialize(", ".ingest("))
            marked = any("slow" in ast.get_source_segment(source, d) for d in node.decorator_list)
            if (runs_cli or runs_job) and not (marked or module_slow):
                unmarked.append(f"{path.name}::{node.name}")
    assert unmarked == [], unmarked
