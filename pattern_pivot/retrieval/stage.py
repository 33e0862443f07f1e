"""The chunk-and-embed stage for one video, cached like every other stage."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Callable

from pattern_pivot.catalog import CatalogEntry
from pattern_pivot.ingest import TRANSCRIPT, TRANSCRIPT_NAME, StageOutput, stored_output
from pattern_pivot.media.store import MediaStore
from pattern_pivot.retrieval.chunking import Chunk, ChunkOptions
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.index import index_transcript
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore
from pattern_pivot.transcription.types import Transcript

CHUNKS, CHUNKS_NAME = "transcript_chunks", "chunks.json"


def channel_of(entry: CatalogEntry, youtube_channel_id: str | None = None) -> str:
    """The channel a search can filter on: a YouTube channel id, else "local"."""
    if youtube_channel_id:
        return youtube_channel_id
    return "local" if entry.source_kind == "file" else entry.source_kind


def store_chunks(entry: CatalogEntry, media: MediaStore, embedder: SentenceEmbedder,
                 vectors: MilvusChunkStore, options: ChunkOptions, channel: str = "local",
                 progress: Callable[[float, float], None] | None = None
                 ) -> tuple[StageOutput, list[Chunk]]:
    """Chunks JSON in the media store and the same chunks, embedded, in Milvus. Skipped when
    both are current; re-running replaces the video's vectors, never duplicates them."""
    transcript_out = stored_output(media, TRANSCRIPT, entry.video_id, TRANSCRIPT_NAME)
    # The channel is stored with every vector, so a changed channel re-indexes the video.
    fingerprint = hashlib.sha256("|".join(
        [transcript_out.fingerprint, options.fingerprint, vectors.collection, channel]).encode()
    ).hexdigest()[:32]
    target = media.path(CHUNKS, entry.video_id, CHUNKS_NAME)
    if media.is_current(CHUNKS, entry.video_id, CHUNKS_NAME, fingerprint):
        chunks = [Chunk(**c) for c in json.loads(target.read_text(encoding="utf-8"))["chunks"]]
        if vectors.count(entry.video_id) == len(chunks):
            return StageOutput(target, fingerprint, True), chunks
    transcript = Transcript.read_json(transcript_out.path)
    chunks = index_transcript(entry.video_id, transcript, embedder, vectors, options,
                              channel=channel, published_at=int(entry.added_at),
                              progress=progress)
    with media.atomic_write(CHUNKS, entry.video_id, CHUNKS_NAME, fingerprint) as tmp:
        tmp.write_text(json.dumps({"model": embedder.name, "collection": vectors.collection,
                                   "chunks": [asdict(c) for c in chunks]}, indent=1),
                       encoding="utf-8")
    return StageOutput(target, fingerprint, False), chunks
