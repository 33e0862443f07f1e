"""Embeddings in a real Milvus Lite: topic precision, idempotent re-indexing, model changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pattern_pivot import bundled_models
from pattern_pivot.retrieval.chunking import ChunkOptions
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.index import index_transcript, search_catalog
from pattern_pivot.retrieval.langchain_retriever import chunk_retriever
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore, SearchFilters, VectorStoreError
from pattern_pivot.sample_channel.scripts import SCRIPTS
from pattern_pivot.transcription.types import Segment, Transcript, Word

SMALL_CHUNKS = ChunkOptions(target_seconds=8, max_seconds=14)
QUERIES = {
    "sourdough-bread": ["how do I feed my starter and shape a loaf",
                        "baking bread with a crispy crust in the oven"],
    "home-solar-power": ["panels on the roof and storing electricity in batteries",
                         "how much energy my house uses"],
    "marathon-training": ["long runs and tapering before race day",
                          "avoiding injury when building weekly mileage"],
    "houseplant-care": ["how often should I water my plants",
                        "repotting and dealing with pests on leaves"],
    "personal-budgeting": ["saving money from each paycheck",
                           "paying off credit card debt"],
}


def spoken(video_id: str, text: str) -> Transcript:
    """A transcript with word timings as a steady speaker would produce them."""
    words, t = [], 0.0
    for token in text.split():
        words.append(Word(start=round(t, 3), end=round(t + 0.32, 3), text=token))
        t += 0.4 + (0.5 if token.endswith((".", "?", "!")) else 0.0)
    return Transcript(language="en", language_probability=1.0, duration=t,
                      segments=(Segment(words[0].start, words[-1].end, text, tuple(words)),),
                      model="reference")


@pytest.fixture(scope="module")
def embedder():
    return SentenceEmbedder()


@pytest.fixture(scope="module")
def catalog_store(tmp_path_factory, embedder):
    store = MilvusChunkStore(str(tmp_path_factory.mktemp("milvus") / "milvus.db"),
                             model_name=embedder.name, dim=embedder.dimension)
    labels = {}
    for script in SCRIPTS:
        video_id = f"file-{script.slug}"
        chunks = index_transcript(video_id, spoken(video_id, script.text), embedder, store,
                                  SMALL_CHUNKS, published_at=1_700_000_000)
        assert len(chunks) >= 5, script.slug
        labels[video_id] = script.slug
    return store, labels


def test_topic_queries_have_top5_precision_of_at_least_0_8(catalog_store, embedder):
    store, labels = catalog_store
    precisions = []
    for slug, queries in QUERIES.items():
        for query in queries:
            hits = search_catalog(query, embedder, store, top_k=5)
            precisions.append(sum(labels[h.video_id] == slug for h in hits) / 5)
    assert sum(precisions) / len(precisions) >= 0.8, precisions
    assert min(precisions) >= 0.6, precisions


def test_hits_carry_cuttable_time_ranges_and_filters_apply(catalog_store, embedder):
    store, _ = catalog_store
    hits = search_catalog("watering plants", embedder, store, top_k=3,
                          filters=SearchFilters(video_ids=("file-sourdough-bread",)))
    assert hits and all(h.video_id == "file-sourdough-bread" for h in hits)
    assert all(0 <= h.start < h.end for h in hits)
    assert search_catalog("bread", embedder, store, 3, SearchFilters(channel="youtube")) == []
    assert search_catalog("bread", embedder, store, 3,
                          SearchFilters(published_from=1_800_000_000)) == []
    assert len(search_catalog("bread", embedder, store, 3,
                              SearchFilters(published_to=1_700_000_000))) == 3


def test_reindexing_replaces_a_video_and_never_duplicates(tmp_path, embedder):
    store = MilvusChunkStore(str(tmp_path / "m.db"), model_name=embedder.name,
                             dim=embedder.dimension)
    text = SCRIPTS[0].text
    first = index_transcript("file-a", spoken("file-a", text), embedder, store, SMALL_CHUNKS)
    index_transcript("file-b", spoken("file-b", SCRIPTS[1].text), embedder, store, SMALL_CHUNKS)
    index_transcript("file-a", spoken("file-a", text), embedder, store, SMALL_CHUNKS)
    assert store.count("file-a") == len(first)
    shorter = index_transcript("file-a", spoken("file-a", " ".join(text.split()[:40])),
                               embedder, store, SMALL_CHUNKS)
    assert store.count("file-a") == len(shorter) < len(first)  # stale chunks are gone
    assert store.count("file-b") > 0  # other videos untouched


def _tiny_random_model(target: Path) -> Path:
    """A randomly initialised 32-d sentence-transformers model (no download needed)."""
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    source = bundled_models.model_dir("all-MiniLM-L6-v2")
    tokenizer = BertTokenizerFast.from_pretrained(str(source))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64)
    bert_dir = target / "bert"
    BertModel(config).save_pretrained(str(bert_dir))
    tokenizer.save_pretrained(str(bert_dir))
    word = models.Transformer(str(bert_dir))
    pooling = models.Pooling(word.get_embedding_dimension())
    SentenceTransformer(modules=[word, pooling]).save(str(target / "tiny-st"))
    shutil.rmtree(bert_dir)
    return target / "tiny-st"


def test_a_new_embedding_model_gets_its_own_collection(tmp_path, embedder):
    uri = str(tmp_path / "m.db")
    default = MilvusChunkStore(uri, model_name=embedder.name, dim=embedder.dimension)
    index_transcript("file-a", spoken("file-a", SCRIPTS[0].text), embedder, default,
                     SMALL_CHUNKS)
    tiny = SentenceEmbedder(str(_tiny_random_model(tmp_path)))
    assert tiny.dimension == 32
    other = MilvusChunkStore(uri, model_name=tiny.name, dim=tiny.dimension)
    assert other.collection != default.collection
    assert search_catalog("bread", tiny, other, 3) == []  # nothing mixed in from 384-d space
    index_transcript("file-a", spoken("file-a", SCRIPTS[0].text), tiny, other, SMALL_CHUNKS)
    assert other.count() == default.count()


def test_a_collection_of_another_model_is_refused_not_mixed(tmp_path, embedder):
    uri = str(tmp_path / "m.db")
    index_transcript("file-a", spoken("file-a", SCRIPTS[0].text), embedder,
                     MilvusChunkStore(uri, model_name=embedder.name, dim=embedder.dimension),
                     SMALL_CHUNKS)
    # Another model name that maps to the same collection name.
    impostor = MilvusChunkStore(uri, model_name=embedder.name.replace("-", "_"),
                                dim=embedder.dimension)
    with pytest.raises(VectorStoreError, match="another model"):
        impostor.count()
    with pytest.raises(VectorStoreError, match="another model"):  # the one-off engine path
        impostor.search(embedder.encode(["bread"]), 3)


def test_langchain_retriever_returns_timed_documents(tmp_path, embedder):
    # Its own file: langchain-milvus keeps a Milvus Lite file open until the process exits.
    store = MilvusChunkStore(str(tmp_path / "lc.db"), model_name=embedder.name,
                             dim=embedder.dimension)
    for script in SCRIPTS[:3]:
        index_transcript(f"file-{script.slug}", spoken(f"file-{script.slug}", script.text),
                         embedder, store, SMALL_CHUNKS)
    docs = chunk_retriever(store, embedder, top_k=4).invoke("feeding a sourdough starter")
    assert len(docs) == 4
    assert docs[0].metadata["video_id"] == "file-sourdough-bread"
    assert {"start", "end", "chunk_index"} <= set(docs[0].metadata)


@pytest.mark.slow
def test_cli_search_json(catalog_store, tmp_path):
    store, _ = catalog_store
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(tmp_path),
           "PATTERN_PIVOT_MILVUS_URI": store.uri}
    cli = str(Path(sys.executable).with_name("pattern-pivot"))
    proc = subprocess.run([cli, "search", "paying off debt", "--top", "3", "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert len(hits) == 3 and set(hits[0]) == {"video_id", "start", "end", "score", "text"}
    assert hits[0]["video_id"] == "file-personal-budgeting"
    assert hits[0]["score"] >= hits[-1]["score"]


def test_a_session_reuses_one_connection_and_then_frees_the_file(tmp_path, embedder):
    store = MilvusChunkStore(str(tmp_path / "s.db"), model_name=embedder.name,
                             dim=embedder.dimension)
    index_transcript("file-a", spoken("file-a", SCRIPTS[3].text), embedder, store, SMALL_CHUNKS)
    queries = embedder.encode(["watering", "repotting", "light"])
    with store.session():
        singles = [store.search(q[None, :], 3)[0] for q in queries]
        assert store.count("file-a") > 0
    assert singles == store.search(queries, 3)  # same answers as one batched call outside
    other = subprocess.run(  # another process can open the file once the session ends
        [sys.executable, "-c", f"from pymilvus import MilvusClient; MilvusClient({store.uri!r})"],
        capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr[-2000:]


def test_a_one_off_search_matches_a_search_through_the_client(catalog_store, embedder):
    # Outside a session the store searches the Milvus Lite engine in-process; in a session it
    # goes through pymilvus and the gRPC server. Same hits, scores and order, filters too.
    store, _ = catalog_store
    queries = embedder.encode(["feeding a starter", "solar batteries", "credit card debt"])
    cases = [SearchFilters(), SearchFilters(video_ids=("file-sourdough-bread",)),
             SearchFilters(channel="local", published_to=1_700_000_000)]
    one_off = [store.search(queries, 7, f) for f in cases]
    with store.session():
        through_client = [store.search(queries, 7, f) for f in cases]
    assert one_off == through_client
    assert all(len(hits) == 7 for hits in one_off[0])


def test_a_one_off_search_on_a_locked_file_waits_then_names_the_fix(tmp_path, embedder):
    from milvus_lite import MilvusLite

    uri = str(tmp_path / "locked.db")
    holder = MilvusLite(uri)  # stands in for another process that holds the file
    try:
        store = MilvusChunkStore(uri, model_name=embedder.name, dim=embedder.dimension,
                                 lock_timeout=0.5)
        with pytest.raises(VectorStoreError, match="another process holds the Milvus Lite"):
            store.search(embedder.encode(["bread"]), 3)
    finally:
        holder.close()


@pytest.mark.slow
def test_a_one_off_search_in_a_fresh_process_needs_no_pymilvus(catalog_store, embedder):
    store, _ = catalog_store
    probe = (
        "import json, sys\n"
        "from pattern_pivot.retrieval.embeddings import SentenceEmbedder\n"
        "from pattern_pivot.retrieval.index import search_catalog\n"
        "from pattern_pivot.retrieval.milvus_store import MilvusChunkStore\n"
        "e = SentenceEmbedder()\n"
        "s = MilvusChunkStore(sys.argv[1], model_name=e.name, dim=e.dimension)\n"
        "hits = search_catalog('paying off debt', e, s, 5)\n"
        "print(json.dumps({'pymilvus': 'pymilvus' in sys.modules,\n"
        "                  'hits': [[h.video_id, h.chunk_index, h.score] for h in hits]}))\n")
    done = subprocess.run([sys.executable, "-c", probe, store.uri], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["pymilvus"] is False
    with store.session():
        expected = search_catalog("paying off debt", embedder, store, 5)
    assert result["hits"] == [[h.video_id, h.chunk_index, h.score] for h in expected]
