"""The one-off search's reader of Milvus Lite files: the engine's hits, without its full load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pattern_pivot.retrieval import lite_reader
from pattern_pivot.retrieval.chunking import Chunk
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore, SearchFilters, search_params
from tests.milvus_support import DIM, vector

FIELDS = ["video_id", "chunk_index", "start", "end", "text"]


def _index(store: MilvusChunkStore, video: str, count: int, *, channel: str = "local",
           published_at: int = 0, salt: str = "") -> None:
    chunks = [Chunk(video, i, i * 10.0, i * 10.0 + 9, f"{video} chunk {i}{salt}", None, None)
              for i in range(count)]
    store.replace_video(video, chunks, np.stack([vector(video + salt, i) for i in range(count)]),
                        channel=channel, published_at=published_at)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Three writes: the third re-indexes file-a with fewer, new chunks, so file-a's rows
    live in two segments (older versions superseded) and its dropped chunks are deleted."""
    store = MilvusChunkStore(str(tmp_path_factory.mktemp("reader") / "milvus.db"),
                             model_name="all-MiniLM-L6-v2", dim=DIM)
    _index(store, "file-a", 30, published_at=100)
    _index(store, "file-b", 30, channel="chan", published_at=200)
    _index(store, "file-a", 20, published_at=100, salt=" again")
    return store


def _collection_dir(store) -> Path:
    return Path(store.uri, "collections", store.collection)


def _both(store, queries, expr):
    """The reader's hits and the Milvus Lite engine's, on the same file."""
    from milvus_lite import MilvusLite

    params = search_params(7)["params"]
    db = MilvusLite(store.uri)
    try:
        read, dim, model = lite_reader.search(store.uri, store.collection, queries, 7, expr,
                                              FIELDS, params)
        engine, _, _ = store._search_engine(db, queries.tolist(), 7, expr, params)
    finally:
        db.close()
    assert (dim, model) == (DIM, "all-MiniLM-L6-v2")
    return read, engine


def test_the_reader_returns_the_engines_hits_with_upserts_deletes_and_filters(store):
    manifest = json.loads((_collection_dir(store) / "manifest.json").read_text())
    parts = manifest["partitions"]["_default"]
    assert len(parts["data_files"]) >= 2 and parts["delta_files"]  # what the case is about
    queries = np.stack([vector("file-a", 3), vector("file-a again", 3), vector("file-b", 5),
                        vector("file-a", 25)])
    for filters in [SearchFilters(), SearchFilters(video_ids=("file-a",)),
                    SearchFilters(channel="chan"), SearchFilters(published_to=150)]:
        read, engine = _both(store, queries, filters.expression() or None)
        assert read == engine, filters
    read, _ = _both(store, queries, None)
    texts = [h["entity"]["text"] for per_query in read for h in per_query]
    assert not [t for t in texts if t.startswith("file-a") and not t.endswith("again")]
    assert read[1][0]["entity"]["text"] == "file-a chunk 3 again"


def test_a_one_off_search_never_loads_whole_segments(store, monkeypatch):
    from milvus_lite.storage.segment import Segment

    def refuse(*args, **kwargs):
        raise AssertionError("a one-off search loaded a whole segment (every column)")
    monkeypatch.setattr(Segment, "load", refuse)
    hits = store.search(vector("file-b", 4)[None], 3)[0]
    assert [(h.video_id, h.chunk_index) for h in hits][0] == ("file-b", 4)


def test_what_the_reader_cannot_read_goes_to_the_engine(tmp_path):
    store = MilvusChunkStore(str(tmp_path / "milvus.db"), model_name="all-MiniLM-L6-v2",
                             dim=DIM)
    _index(store, "file-a", 12)
    query = vector("file-a", 7)[None]
    expected = store.search(query, 5)
    for sidecar in (_collection_dir(store) / "partitions" / "_default" / "indexes").iterdir():
        sidecar.unlink()  # as after a crash between a flush and its index build
    with pytest.raises(lite_reader.NotReadable, match="no persisted index"):
        lite_reader.search(store.uri, store.collection, query, 5, None, FIELDS,
                           search_params(5)["params"])
    assert store.search(query, 5) == expected  # the engine builds and saves the index
    read, _, _ = lite_reader.search(store.uri, store.collection, query, 5, None, FIELDS,
                                    search_params(5)["params"])
    assert [h["entity"]["chunk_index"] for h in read[0]] == [h.chunk_index for h in expected[0]]
