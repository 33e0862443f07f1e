"""A Milvus server that is down, or a URI that is neither a server nor a Lite file, gets its
own message and fix, not the advice for a Milvus Lite file held by another process."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pattern_pivot.retrieval.lite_server import RunningServer, note_path, running_server
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
    [hits] = store.search(np.stack([vector("w1-v1", 7)]), top_k=1)
    assert (hits[0].video_id, hits[0].chunk_index) == ("w1-v1", 7)


# ---- a long-lived Milvus Lite server that `search` finds by its note ----------------------

def _index_random_videos(uri: str) -> None:
    from pattern_pivot.retrieval.chunking import Chunk

    store = MilvusChunkStore(uri, model_name="all-MiniLM-L6-v2", dim=DIM)
    for n in range(3):
        video = f"file-v{n}"
        chunks = [Chunk(video, i, i * 10.0, i * 10.0 + 9, f"{video} chunk {i}", None, None)
                  for i in range(CHUNKS_PER_VIDEO)]
        store.replace_video(video, chunks, np.stack([vector(video, i)
                                                     for i in range(CHUNKS_PER_VIDEO)]))


def _write_note(path: Path, **fields) -> None:
    import json

    note_path(path).write_text(json.dumps({"pid": os.getpid(), "port": 1, "db": str(path),
                                           **fields}))


def test_a_server_note_is_trusted_only_when_it_checks_out(tmp_path):
    db = tmp_path / "milvus.db"
    assert running_server(str(db)) is None  # no note
    with socket.socket() as listening:  # something answers on this port, as a server would
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        _write_note(db, port=port)
        assert running_server(str(db)) == RunningServer(f"http://127.0.0.1:{port}", os.getpid())
        _write_note(db, port=port, db=str(tmp_path / "other.db"))  # serves another file
        assert running_server(str(db)) is None
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout.strip()
        _write_note(db, port=port, pid=int(dead))  # its process has exited
        assert running_server(str(db)) is None
        note_path(db).write_text("{not json")
        assert running_server(str(db)) is None
    _write_note(db, port=port)  # nothing listens any more
    assert running_server(str(db)) is None
    assert running_server(f"http://127.0.0.1:{port}") is None  # already a server URL


@pytest.mark.slow
def test_search_goes_through_a_running_lite_server_with_the_same_hits(tmp_path):
    import json

    db = tmp_path / "milvus.db"
    _index_random_videos(str(db))
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(tmp_path),
           "PATTERN_PIVOT_MILVUS_URI": str(db), "PYTHONPATH": str(REPO)}
    search = [sys.executable, "-m", "pattern_pivot.cli", "search", "chunk", "--top", "5",
              "--json", "--channel", "local"]
    one_off = subprocess.run(search, capture_output=True, text=True, env=env, timeout=600)
    assert one_off.returncode == 0, one_off.stderr[-3000:]
    assert "server" not in one_off.stderr
    server = subprocess.Popen([sys.executable, "-m", "pattern_pivot.retrieval.lite_server",
                               "--db", str(db)], cwd=REPO, env=env,
                              stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            if running_server(str(db)) is not None:
                break
            assert server.poll() is None, server.stderr.read()[-3000:]
            time.sleep(0.1)
        found = running_server(str(db))
        assert found is not None and found.pid == server.pid
        served = subprocess.run(search, capture_output=True, text=True, env=env, timeout=600)
        assert served.returncode == 0, served.stderr[-3000:]
        assert f"searching through the Milvus Lite server at {found.uri}" in served.stderr
        hits = json.loads(served.stdout)
        assert len(hits) == 5 and {h["video_id"] for h in hits} <= {"file-v0", "file-v1",
                                                                 "file-v2"}
        assert hits == json.loads(one_off.stdout)
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert server.returncode == 0
    assert not note_path(db).exists()  # removed on the way out: no stale note left


def test_a_writer_goes_through_a_running_lite_server_instead_of_waiting_for_its_file(tmp_path):
    import threading

    from pattern_pivot.retrieval.chunking import Chunk
    from pattern_pivot.retrieval.lite_server import serve

    db = tmp_path / "milvus.db"
    _index_random_videos(str(db))
    ready, stop = threading.Event(), threading.Event()
    worker = threading.Thread(target=serve, args=(str(db),),
                              kwargs={"ready": ready, "stop": stop})
    worker.start()
    video = "file-new"
    chunks = [Chunk(video, i, i * 10.0, i * 10.0 + 9, f"{video} chunk {i}", None, None)
              for i in range(CHUNKS_PER_VIDEO)]
    try:
        assert ready.wait(120)
        # Given the file, as ingest's resource is: the server holds its lock all along.
        store = MilvusChunkStore(str(db), model_name="all-MiniLM-L6-v2", dim=DIM,
                                 lock_timeout=1)
        store.replace_video(video, chunks, np.stack([vector(video, i)
                                                     for i in range(CHUNKS_PER_VIDEO)]))
        assert store.count(video) == CHUNKS_PER_VIDEO
        assert store.search(vector(video, 2)[None], 1)[0][0].video_id == video
    finally:
        stop.set()
        worker.join()
    assert not note_path(db).exists()
    # Written into the file itself: once the server is gone, the file path finds it.
    assert store.count(video) == CHUNKS_PER_VIDEO
    assert store.count() == 4 * CHUNKS_PER_VIDEO
