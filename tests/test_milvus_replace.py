"""replace_video's writes: exactly the video's chunks 0..n-1, whether the rows it replaces
are flushed (each call opens the file) or still in memory (one session for many videos)."""

from __future__ import annotations

import numpy as np
import pytest

from pattern_pivot.retrieval.chunking import Chunk
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore
from tests.milvus_support import DIM, vector


def _chunks(video: str, count: int, tag: str = "") -> tuple[list[Chunk], np.ndarray]:
    chunks = [Chunk(video, i, i * 10.0, i * 10.0 + 9, f"{video} chunk {i}{tag}", None, None)
              for i in range(count)]
    return chunks, np.array([vector(video, i) for i in range(count)]).reshape(count, DIM)


def _rows(store: MilvusChunkStore, video: str) -> dict[int, str]:
    with store._client() as client:
        rows = client.query(store.collection, filter=f'video_id == "{video}"',
                            output_fields=["chunk_index", "text"])
    return {r["chunk_index"]: r["text"] for r in rows}


@pytest.mark.parametrize("one_session", [False, True])
def test_reindexing_shrinks_grows_and_rewrites_a_video_without_duplicates(tmp_path,
                                                                          one_session):
    store = MilvusChunkStore(str(tmp_path / "m.db"), model_name="all-MiniLM-L6-v2", dim=DIM)

    def run():
        for count, tag in ((6, ""), (6, " again"), (3, " shorter"), (5, " longer"), (0, "")):
            store.replace_video("file-a", *_chunks("file-a", count, tag))
            store.replace_video("file-b", *_chunks("file-b", 4))  # a neighbour, untouched
            assert _rows(store, "file-a") == {i: f"file-a chunk {i}{tag}" for i in range(count)}
            assert store.count("file-a") == count and store.count("file-b") == 4
        store.replace_video("file-a", *_chunks("file-a", 2, " back"))
    if one_session:
        with store.session():
            run()
    else:
        run()
    assert _rows(store, "file-a") == {0: "file-a chunk 0 back", 1: "file-a chunk 1 back"}
    [hits] = store.search(np.stack([vector("file-a", 1)]), top_k=3)
    assert (hits[0].video_id, hits[0].chunk_index) == ("file-a", 1)
    assert len({(h.video_id, h.chunk_index) for h in hits}) == 3


def test_chunks_of_another_video_or_out_of_order_are_refused(tmp_path):
    store = MilvusChunkStore(str(tmp_path / "m.db"), model_name="all-MiniLM-L6-v2", dim=DIM)
    chunks, vectors = _chunks("file-a", 3)
    with pytest.raises(ValueError, match="pass the video's own chunks, in order from 0"):
        store.replace_video("file-a", chunks[1:], vectors[1:])
    with pytest.raises(ValueError, match="chunk 'file-a:00000' given as chunk 0 of video "
                                         "'file-b'"):
        store.replace_video("file-b", chunks, vectors)
    with pytest.raises(ValueError, match="one vector per chunk"):
        store.replace_video("file-a", chunks, vectors[:2])


def test_a_handle_reads_a_stored_rows_model_once_and_still_refuses_another_model(
        tmp_path, monkeypatch):
    """Milvus Lite answers the model check's one-row query by walking every row: a handle
    that writes video after video asks it once, not on every open."""
    from pymilvus import MilvusClient

    from pattern_pivot.retrieval.milvus_store import VectorStoreError

    model_queries = []
    query = MilvusClient.query

    def counting_query(self, collection, *args, **kwargs):
        if kwargs.get("output_fields") == ["model"]:
            model_queries.append(collection)
        return query(self, collection, *args, **kwargs)

    monkeypatch.setattr(MilvusClient, "query", counting_query)
    uri = str(tmp_path / "m.db")
    store = MilvusChunkStore(uri, model_name="all-MiniLM-L6-v2", dim=DIM)
    for n in range(4):
        store.replace_video(f"file-{n}", *_chunks(f"file-{n}", 3))
    assert store.count() == 12
    assert len(model_queries) == 1  # the first open after a row was stored
    other = MilvusChunkStore(uri, model_name="all-MiniLM-L6-v2", dim=DIM,
                             prefix="transcript_chunks")
    other.model_name = "another-model"  # same collection name, other vectors: refused
    with pytest.raises(VectorStoreError, match="another model"):
        other.count()
