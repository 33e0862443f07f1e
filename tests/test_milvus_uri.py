"""A Milvus server that is down, or a URI that is neither a server nor a Lite file, gets its
own message and fix, not the advice for a Milvus Lite file held by another process."""

import socket

import pytest

from pattern_pivot.retrieval.milvus_store import MilvusChunkStore, VectorStoreError


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
