"""One-call facade: index a transcript, search the catalog."""

from __future__ import annotations

from typing import Callable

from pattern_pivot.retrieval.chunking import Chunk, ChunkOptions, chunk_words
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.milvus_store import Hit, MilvusChunkStore, SearchFilters
from pattern_pivot.transcription.types import Transcript


def index_transcript(video_id: str, transcript: Transcript, embedder: SentenceEmbedder,
                     store: MilvusChunkStore, options: ChunkOptions | None = None, *,
                     channel: str = "local", published_at: int = 0,
                     progress: Callable[[float, float], None] | None = None) -> list[Chunk]:
    """Chunk, embed and store one video's transcript, replacing what it had before;
    ``progress(chunks embedded, chunks)`` after each batch."""
    chunks = chunk_words(video_id, transcript.words, options)
    # One call: the embedder picks its backend for the whole video (see SentenceEmbedder).
    vectors = embedder.encode([c.text for c in chunks], progress=progress)
    store.replace_video(video_id, chunks, vectors, channel=channel, published_at=published_at)
    return chunks


def search_catalog(query: str, embedder: SentenceEmbedder, store: MilvusChunkStore,
                   top_k: int = 10, filters: SearchFilters | None = None) -> list[Hit]:
    if not query.strip():
        raise ValueError("the search query is empty")
    return store.search(embedder.encode([query]), top_k, filters)[0]
