"""Understand: transcripts become time-aligned chunks embedded into Milvus."""

import dagster as dg

from assets.failures import user_errors
from assets.ingest import video_transcript
from assets.partitions import videos_partitions
from pattern_pivot.progress import count_progress
from pattern_pivot.retrieval.stage import channel_of, store_chunks
from resources import CatalogResource, EmbedderResource, MediaStoreResource, VectorStoreResource


@dg.asset(partitions_def=videos_partitions, group_name="understand",
          kinds={"milvus", "sentencetransformers"}, deps=[video_transcript], code_version="1",
          pool="milvus")
def transcript_chunks(context: dg.AssetExecutionContext, catalog: CatalogResource,
                      media_store: MediaStoreResource, embedder: EmbedderResource,
                      vector_store: VectorStoreResource) -> dg.MaterializeResult:
    """Transcript chunks ending on sentence or pause boundaries, with exact start/end times,
    embedded and upserted into Milvus (re-running replaces this video's chunks)."""
    with user_errors():
        videos = catalog.catalog()
        entry = videos.get(context.partition_key)
        youtube = videos.youtube_entry(entry.video_id)
        channel = channel_of(entry, youtube.channel_id if youtube else None)
        model = embedder.embedder()
        vectors = vector_store.store(model.name, model.dimension)
        output, chunks = store_chunks(entry, media_store.store(), model, vectors,
                                      embedder.chunk_options(), channel,
                                      count_progress(context.log.info, "embedded", "chunks"))
    lengths = [c.end - c.start for c in chunks]
    preview = "\n".join(f"- `{c.start:7.2f}-{c.end:7.2f}` {c.text[:120]}" for c in chunks[:5])
    return dg.MaterializeResult(
        metadata={
            "title": entry.title,
            "status": "cached" if output.cached else "materialized",
            "path": dg.MetadataValue.path(str(output.path)),
            "chunk_count": len(chunks),
            "channel": channel,
            "mean_chunk_seconds": round(sum(lengths) / len(lengths), 2) if lengths else 0.0,
            "embedding_model": model.name,
            "collection": vectors.collection,
            "vector_store": vector_store.uri,
            "preview": dg.MetadataValue.md(preview or "_(no speech, no chunks)_"),
        },
        data_version=dg.DataVersion(output.fingerprint[:16]))


@dg.asset(group_name="understand", kinds={"milvus"}, deps=[transcript_chunks],
          code_version="1", pool="milvus")
def catalog_index(catalog: CatalogResource, embedder: EmbedderResource,
                  vector_store: VectorStoreResource) -> dg.MaterializeResult:
    """The whole catalog's searchable index: one Milvus collection holding every video's
    transcript chunks (all `videos` partitions of transcript_chunks). Remixes retrieve from
    it. Each ingest run refreshes its totals after the video's chunks are upserted."""
    with user_errors():
        videos = catalog.catalog().entries()
        model = embedder.embedder()
        vectors = vector_store.store(model.name, model.dimension)
        total = vectors.count()
    return dg.MaterializeResult(metadata={
        "chunks": total, "catalog_videos": len(videos),
        "collection": vectors.collection, "embedding_model": model.name,
        "vector_store": vector_store.uri})


understand_assets = [transcript_chunks, catalog_index]
