"""The CLI loads only what a command uses: --help and search never import torch or Dagster,
and a one-off search reads Milvus Lite in-process, without pymilvus and its gRPC server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "sentence_transformers", "dagster", "langchain_core",
         "faster_whisper", "pymilvus")

# Runs the real CLI in-process, then reports which heavy packages it imported.
_PROBE = """
import json, sys
from pattern_pivot.cli import app
try:
    app(args=sys.argv[1:])
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def run_cli(*args: str, data_dir, **extra_env: str) -> dict:
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(data_dir), **extra_env}
    env.pop("PATTERN_PIVOT_MILVUS_URI", None)
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True,
                          text=True, env=env, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_help_imports_nothing_heavy(tmp_path):
    result = run_cli("--help", data_dir=tmp_path)
    assert result == {"code": 0, "loaded": []}


@pytest.mark.slow
def test_search_embeds_and_searches_without_torch_dagster_or_pymilvus(tmp_path):
    result = run_cli("search", "how to prune roses", "--json", data_dir=tmp_path,
                     PATTERN_PIVOT_EMBEDDING_BACKEND="onnx")
    assert result == {"code": 0, "loaded": []}
    assert (tmp_path / "milvus.db").exists()  # it really opened the store and searched
