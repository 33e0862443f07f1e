"""The catalog's chunks as a LangChain retriever (langchain-milvus), for the remix stage."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStoreRetriever

from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore, SearchFilters, search_params


class SentenceEmbeddings(Embeddings):
    """LangChain's Embeddings interface over our SentenceEmbedder (same vectors as indexing)."""

    def __init__(self, embedder: SentenceEmbedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode([text])[0].tolist()


def chunk_retriever(store: MilvusChunkStore, embedder: SentenceEmbedder, *, top_k: int = 10,
                    filters: SearchFilters | None = None) -> VectorStoreRetriever:
    """A retriever whose Documents carry video_id, chunk_index, start and end metadata.

    It opens the collection through langchain-milvus; with a Milvus Lite file that process
    then holds the file until it exits, so use it in the process that does the remixing.
    While a lite server holds the file, it connects to that server instead.
    """
    from langchain_milvus import Milvus

    vectorstore = Milvus(
        embedding_function=SentenceEmbeddings(embedder),
        collection_name=store.collection,
        connection_args={"uri": store.live_uri(),
                         **({"token": store.token} if store.token else {})},
        primary_field="id", text_field="text", vector_field="vector",
        search_params=search_params(top_k),
    )
    kwargs: dict = {"k": top_k}
    expression = (filters or SearchFilters()).expression()
    if expression:
        kwargs["expr"] = expression
    return vectorstore.as_retriever(search_kwargs=kwargs)
