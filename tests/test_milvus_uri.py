"""A Milvus server that is down, or a URI that is neither a server nor a Lite file, gets its
own message and fix, not the advice for a Milvus Lite file held by another process."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pattern_pivot.retrieval.milvus_store import MilvusChunkStore, VectorStoreError
from tests.conftest import REPO
from tests.milvus_support import CHUNKS_PER_VIDEO, DIM, VIDEOS_PER_WRITER, vector


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.mark.parametrize("scheme", ["http", "tcp"])
def test_a_server_that_is_down_is_reported_as_unreachable(scheme):
    uri = f"{scheme}://127.0.0.1:{_closed_port()}"
    store = MilvusChunkStore(uri, model_name="all-MiniLM-L6-v2", dim=384)
    with pytest.raises(VectorStoreError) as caught:
        store.count()
    message = str(caught.value)
    assert message.startswith(f"Milvus at {uri}: cannot be reached")
    assert "Fix: start it" in message and "PATTERN_PIVOT_MILVUS_URI" in message
    assert "Lite file:" not in message and "another process" not in message


def test_a_uri_that_is_neither_a_file_nor_a_server_is_named(tmp_path):
    uri = str(tmp_path / "milvus")  # a folder-like path without .db
    store = MilvusChunkStore(uri, model_name="all-MiniLM-L6-v2", dim=384)
    with pytest.raises(VectorStoreError, match=r"is neither a Milvus Lite file \(\*\.db\) nor a "
                                               r"server URL.*Fix: set PATTERN_PIVOT_MILVUS_URI"):
        store.count()
    assert not (tmp_path / "milvus").exists()


# ---- a Milvus server by URI (a `milvus-lite server` process), several writers at once --------

@pytest.fixture
def milvus_server(tmp_path):
    port = _closed_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "milvus-lite"), "server", "--data-dir",
         str(tmp_path / "milvus"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, "milvus-lite server exited"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_two_writer_processes_share_a_milvus_server(milvus_server, tmp_path):
    writers = [subprocess.Popen([sys.executable, "-c",
                                 "import sys; from tests.milvus_support import write_videos; "
                                 "write_videos(sys.argv[1], int(sys.argv[2]), sys.argv[3])",
                                 milvus_server, str(n), str(tmp_path)],
                                cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                                stderr=subprocess.PIPE, text=True) for n in (0, 1)]
    for writer in writers:
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err[-3000:]
    store = MilvusChunkStore(milvus_server, model_name="all-MiniLM-L6-v2", dim=DIM)
    # Every video holds exactly its re-indexed chunks: nothing lost, nothing doubled.
    assert store.count() == 2 * VIDEOS_PER_WRITER * CHUNKS_PER_VIDEO
    assert all(store.count(f"w{w}-v{n}") == CHUNKS_PER_VIDEO
               for w in (0, 1) for n in range(VIDEOS_PER_WRITER))
    import numpy as np

    [hits] = store.search(np.stack([vector("w1-v1", 7)]), top_k=1)
    assert (hits[0].video_id, hits[0].chunk_index) == ("w1-v1", 7)
