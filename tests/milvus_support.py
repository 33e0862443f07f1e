"""Writer processes for the Milvus server test (imports nothing Dagster: each starts fast)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from pattern_pivot.retrieval.chunking import Chunk
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore

VIDEOS_PER_WRITER, CHUNKS_PER_VIDEO, DIM = 4, 20, 384


def vector(video: str, index: int) -> np.ndarray:
    seed = int(hashlib.sha256(f"{video}:{index}".encode()).hexdigest()[:8], 16)
    vector = np.random.default_rng(seed).standard_normal(DIM).astype("float32")
    return vector / np.linalg.norm(vector)


def write_videos(uri: str, writer: int, folder: str) -> None:
    """One writer process: says it is ready, waits for the other, then indexes its videos
    (each twice, the second time with fewer chunks, as a re-index does)."""
    store = MilvusChunkStore(uri, model_name="all-MiniLM-L6-v2", dim=DIM)
    store.count()  # connected (and the collection exists)
    Path(folder, f"ready-{writer}").touch()
    while len(list(Path(folder).glob("ready-*"))) < 2:
        time.sleep(0.05)
    for n in range(VIDEOS_PER_WRITER):
        video = f"w{writer}-v{n}"
        for count in (CHUNKS_PER_VIDEO + 5, CHUNKS_PER_VIDEO):
            chunks = [Chunk(video, i, i * 10.0, i * 10.0 + 9, f"{video} chunk {i}", None, None)
                      for i in range(count)]
            store.replace_video(video, chunks, np.stack([vector(video, i)
                                                         for i in range(count)]))


