"""Retrieval benchmark: torch fp32 vs default embedding + Milvus insert, search latency, recall.

Targets (from the issue; printed as PASS/MISS, informational only, always exits 0):
  * ingest (embed + insert) >= 150 chunks/s, and >= 3x the torch path in the same run
  * p95 single-query search <= 150 ms at 50k chunks, with recall@10 against exact search

Run: .venv/bin/python benchmarks/retrieval_benchmark.py [--sizes 10000 50000] [--reuse-vectors]
     [--compare-sample 2000] [--backend auto]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pattern_pivot.retrieval.chunking import Chunk
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.index import search_catalog
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore, search_params
from pattern_pivot.sample_channel.scripts import SCRIPTS, sentences

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "var" / "bench"  # var/ is git-ignored
PER_VIDEO = 100
TOP_K = 10
BLOCK = 5000  # embed (and cache) this many chunks at a time
SEARCH_PARAMS = search_params(TOP_K)  # as the store
FIELDS = ["video_id", "chunk_index", "start", "end", "text"]
EF_SWEEP = (16, 32, 64, 128, 256)

# 20 topic phrases x 5 phrasings = 100 distinct, realistic queries (4 phrases per topic).
PHRASES = [
    ["feeding a sourdough starter", "stretch and fold bread dough", "scoring a loaf before baking",
     "overnight proof in the fridge"],
    ["sizing a home battery", "solar panels and an inverter", "kilowatt hours on the power bill",
     "running the house during a blackout"],
    ["building weekly mileage for a marathon", "the taper before race day",
     "the long run pace", "fueling with gels during a race"],
    ["repotting a root bound plant", "overwatering houseplants", "fungus gnats in potting soil",
     "bright indirect light for leaves"],
    ["making a monthly budget from a paycheck", "paying down credit card debt",
     "an emergency fund", "tracking spending categories"],
]
TEMPLATES = ["{}", "how do I get started with {}", "tips on {}", "common mistakes with {}",
             "explain {} for a beginner"]
QUERIES = [(t.format(p), topic) for topic, ps in enumerate(PHRASES) for p in ps for t in TEMPLATES]


def video_id(v: int) -> str:
    return f"file-bench{v:05d}"


def make_corpus(n: int, seed: int) -> list[Chunk]:
    """``n`` chunks of 60-90 words (about 30 s of speech) in videos of PER_VIDEO chunks. Each
    video has a main topic (v % 5) with some sentences from other topics mixed in, so texts
    differ and search has real neighbours. Seeded per video: a smaller size is a prefix."""
    pool = [sentences(s.text) for s in SCRIPTS]
    chunks: list[Chunk] = []
    for v in range((n + PER_VIDEO - 1) // PER_VIDEO):
        rng = random.Random(f"{seed}:{v}")
        count = min(PER_VIDEO, n - v * PER_VIDEO)
        for i in range(count):
            target, words = rng.randint(60, 90), []
            while len(words) < target:
                topic = v % 5 if rng.random() < 0.8 else rng.randrange(5)
                words += rng.choice(pool[topic]).split()
            vid = video_id(v)
            chunks.append(Chunk(vid, i, 30.0 * i, 30.0 * (i + 1), " ".join(words[:95]),
                                f"{vid}:{i - 1:05d}" if i else None,
                                f"{vid}:{i + 1:05d}" if i + 1 < count else None))
    return chunks


def cpu_seconds() -> float:
    """Process CPU time: a fairer figure than wall time on a shared, busy machine."""
    t = os.times()
    return t.user + t.system


def embed_all(embedder, texts: list[str], sizes: list[int], cache: Path | None):
    """Embed once, in blocks of BLOCK chunks (cut at each size too), and time every block, so
    each size's embed time is the sum of its blocks. With a cache folder, each block's vectors
    and timing are saved as they are made: a rerun (or a run that was killed) reuses them and
    reports the timings of the run that really embedded them."""
    bounds = sorted(set(range(0, sizes[-1], BLOCK)) | set(sizes) | {0})
    blocks, timing = [], {}
    for lo, hi in zip(bounds, bounds[1:]):
        npy = cache / f"{lo}-{hi}.npy" if cache else None
        meta = npy.with_suffix(".json") if npy else None
        if npy and npy.is_file() and meta.is_file():
            blocks.append(np.load(npy))
            timing[hi] = json.loads(meta.read_text())
            print(f"  chunks {lo}..{hi}: reused from {npy.relative_to(REPO)} "
                  f"(embedded {timing[hi]['when']})", flush=True)
            continue
        t0, c0 = time.perf_counter(), cpu_seconds()
        blocks.append(embedder.encode(texts[lo:hi]))
        timing[hi] = {"wall": time.perf_counter() - t0, "cpu": cpu_seconds() - c0,
                      "when": time.strftime("%Y-%m-%d %H:%M")}
        print(f"  chunks {lo}..{hi}: {(hi - lo) / timing[hi]['wall']:.1f} chunks/s, "
              f"load avg {os.getloadavg()[0]:.1f}", flush=True)
        if npy:
            npy.parent.mkdir(parents=True, exist_ok=True)
            np.save(npy, blocks[-1])
            meta.write_text(json.dumps(timing[hi]))
    totals = {n: {k: sum(t[k] for hi, t in timing.items() if hi <= n) for k in ("wall", "cpu")}
              for n in sizes}
    return np.concatenate(blocks), totals


def stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "mean": float(a.mean())}


def timed(fn, *args) -> float:
    """Milliseconds one call of ``fn(*args)`` takes."""
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


def exact_top(vectors: np.ndarray, qvecs: np.ndarray, k: int = TOP_K) -> list[set[int]]:
    """The exact top-k rows by cosine (the vectors are unit length): recall's ground truth."""
    scores = qvecs @ vectors.T
    return [set(row) for row in np.argsort(-scores, axis=1)[:, :k]]


def row_of(video: str, chunk_index: int) -> int:
    return int(video[-5:]) * PER_VIDEO + int(chunk_index)


def recall(found: list[list[int]], exact: list[set[int]]) -> float:
    return float(np.mean([len(set(f) & e) / len(e) for f, e in zip(found, exact)]))


def insert_videos(store: MilvusChunkStore, chunks: list[Chunk], vectors: np.ndarray) -> float:
    """Seconds to store the chunks with one replace_video per video, as the indexing stage
    does (outside a session each call opens the Milvus Lite file and releases it)."""
    t0 = time.perf_counter()
    for start in range(0, len(chunks), PER_VIDEO):
        part = chunks[start:start + PER_VIDEO]
        store.replace_video(part[0].video_id, part, vectors[start:start + PER_VIDEO])
    return time.perf_counter() - t0


def compare_backends(backends: list[str], texts: list[str], chunks: list[Chunk],
                     workdir: Path) -> dict:
    """Embed + insert the same chunks with each backend, in this run, one after the other:
    the end-to-end chunks/s the indexing stage gets from each. Inserted twice: one open of
    the file per video (a Dagster step per video) and all videos in one session() (one
    process indexing many videos, or a long-lived server)."""
    out = {}
    for backend in backends:
        embedder = SentenceEmbedder(batch_size=64, backend=backend)
        used = embedder.backend_for(len(texts))
        t0 = time.perf_counter()
        embedder.encode(["warm up: load the model and run it once"] * 64)  # on `used`
        load = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), cpu_seconds()
        vectors = embedder.encode(texts)
        embed, embed_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        store = MilvusChunkStore(str(workdir / f"cmp_{backend}.db"), model_name=embedder.name,
                                 dim=embedder.dimension)
        store.count()  # the collection exists: its one-off creation is not an insert
        insert = insert_videos(store, chunks, vectors)
        session_store = MilvusChunkStore(str(workdir / f"cmp_{backend}_session.db"),
                                         model_name=embedder.name, dim=embedder.dimension)
        session_store.count()
        t0 = time.perf_counter()
        with session_store.session():
            insert_videos(session_store, chunks, vectors)
        insert_session = time.perf_counter() - t0  # with the final flush at its close
        out[backend] = {"load": load, "embed": embed, "embed_cpu": embed_cpu, "used": used,
                        "insert": insert, "insert_session": insert_session,
                        "vectors": vectors, "name": embedder.name,
                        # what `search` embeds a query with (one text: never torch on auto)
                        "queries": np.concatenate([embedder.encode([q]) for q, _ in QUERIES])}
        print(f"  {backend} ({used}): embedded {len(texts)} in {embed:.1f} s, inserted in "
              f"{insert:.1f} s (one session: {insert_session:.1f} s), "
              f"load avg {os.getloadavg()[0]:.1f}", flush=True)
    return out


def bench_size(n, chunks, vectors, embedder, qvecs, workdir: Path) -> dict:
    r: dict = {}
    store = MilvusChunkStore(str(workdir / f"bench_{n}.db"), model_name=embedder.name,
                             dim=embedder.dimension)
    # Insert: one replace_video per video, as the indexing stage does; each call opens the
    # file and releases it. Wrapping the store's private _open splits the time into open
    # (connect + ensure collection), close (Milvus Lite flushes, indexes and compacts the new
    # segment, then releases) and the rest (upsert + delete).
    phases, real_open = {"open": 0.0, "close": 0.0}, store._open

    @contextmanager
    def timed_open(*args):
        t0 = time.perf_counter()
        with real_open(*args) as client:
            phases["open"] += time.perf_counter() - t0
            yield client
            t0 = time.perf_counter()
        phases["close"] += time.perf_counter() - t0
    store._open = timed_open
    t0, c0 = time.perf_counter(), cpu_seconds()
    for start in range(0, n, PER_VIDEO):
        part = chunks[start:start + PER_VIDEO]
        store.replace_video(part[0].video_id, part, vectors[start:start + PER_VIDEO])
    r["insert_s"], r["insert_cpu"] = time.perf_counter() - t0, cpu_seconds() - c0
    del store._open
    r["insert_open"], r["insert_close"] = phases["open"], phases["close"]
    r["count"] = store.count()

    def open_release():  # what every store call outside a session() pays
        with store._open():
            pass
    r["open"] = stats([timed(open_release) for _ in range(20)])
    # Search through the store (our real path; each call opens the file, loads the collection
    # and releases it): warm up, then 100 single queries.
    for q in qvecs[:3]:
        store.search(q[None], TOP_K)
    exact = exact_top(vectors, qvecs)
    single, top1, found = [], 0, []
    for (_, topic), q in zip(QUERIES, qvecs):
        t0 = time.perf_counter()
        hits = store.search(q[None], TOP_K)[0]
        single.append((time.perf_counter() - t0) * 1000)
        top1 += int(hits[0].video_id[-5:]) % 5 == topic  # top hit from a video of that topic
        found.append([row_of(h.video_id, h.chunk_index) for h in hits])
    r["store_single"], r["top1"] = stats(single), top1 / len(QUERIES)
    r["recall"] = recall(found, exact)
    one_off_found = found

    def client_one_off(q):  # the store's one-off search before it read the engine directly
        with store._open() as client:
            return client.search(store.collection, data=[q.tolist()], limit=TOP_K,
                                 output_fields=FIELDS, search_params=SEARCH_PARAMS)
    r["client_one_off"] = stats([timed(client_one_off, q) for q in qvecs[:20]])

    def engine_one_off(q):  # the one-off before lite_reader: Milvus Lite's own open + search
        from milvus_lite import MilvusLite

        db = MilvusLite(store.uri)
        try:
            hits, _, _ = store._search_engine(db, [q.tolist()], TOP_K, "",
                                              SEARCH_PARAMS["params"])
            return hits
        finally:
            db.close()
    engine_found = [engine_one_off(q) for q in qvecs[:20]]
    r["engine_same"] = np.mean([[row_of(h["entity"]["video_id"], h["entity"]["chunk_index"])
                                 for h in hits[0]] == rows
                                for hits, rows in zip(engine_found, one_off_found)])
    r["engine_one_off"] = stats([timed(engine_one_off, q) for q in qvecs[:20]])
    r["store_embed"] = stats([timed(search_catalog, text, embedder, store, TOP_K)
                              for text, _ in QUERIES])
    r["query_embed"] = stats([timed(embedder.encode, [text]) for text, _ in QUERIES])
    r["store_batch"] = float(np.median([timed(store.search, qvecs, TOP_K)
                                        for _ in range(5)]))
    with store.session():  # one connection for all the searches: the store's own remedy
        store.search(qvecs[:1], TOP_K)
        r["session_single"] = stats([timed(store.search, q[None], TOP_K) for q in qvecs])
    # The same searches through one long-lived client on the same file. Only after the
    # store is done: the store's release would stop this client's in-process server.
    from milvus_lite.server_manager import server_manager_instance
    from pymilvus import MilvusClient

    client = MilvusClient(store.uri)
    client.load_collection(store.collection)  # a reopened collection must be loaded first

    def raw(vs):
        return client.search(store.collection, data=[v.tolist() for v in vs], limit=TOP_K,
                             output_fields=FIELDS, search_params=SEARCH_PARAMS)
    for q in qvecs[:3]:
        raw(q[None])
    r["long_single"] = stats([timed(raw, q[None]) for q in qvecs])
    r["long_batch"] = float(np.median([timed(raw, qvecs) for _ in range(5)]))
    # HNSW's search-time knob (milvus-lite 3 builds a FAISS HNSW, M=16, efConstruction=200):
    # latency and recall@10 against exact search for each ef, on the long-lived client.
    r["ef"] = {}
    for ef in EF_SWEEP:
        params = {"metric_type": "COSINE", "params": {"ef": ef}}
        times, found = [], []
        for q in qvecs:
            t0 = time.perf_counter()
            res = client.search(store.collection, data=[q.tolist()], limit=TOP_K,
                                output_fields=["video_id", "chunk_index"], search_params=params)
            times.append((time.perf_counter() - t0) * 1000)
            found.append([row_of(h["entity"]["video_id"], h["entity"]["chunk_index"])
                          for h in res[0]])
        r["ef"][ef] = {"p50": stats(times)["p50"], "p95": stats(times)["p95"],
                       "recall": recall(found, exact)}
    client.close()
    server_manager_instance.release_server(store.uri)
    r["served"], r["served_same"], r["served_before"], r["served_by_file"] = \
        search_through_lite_server(store, qvecs, one_off_found)
    return r


def search_through_lite_server(store, qvecs, one_off_rows):
    """The store's own search path pointed at a long-lived Milvus Lite server for the same
    file (what `search` does when it finds one): a new client per call, as one CLI process
    or request would make. Also: the share of queries with the same top-10 as one-off."""
    import threading

    from pattern_pivot.retrieval.lite_server import running_server, serve

    ready, stop = threading.Event(), threading.Event()
    worker = threading.Thread(target=serve, args=(store.uri,),
                              kwargs={"ready": ready, "stop": stop})
    worker.start()
    try:
        ready.wait(120)
        served = MilvusChunkStore(running_server(store.uri).uri, model_name=store.model_name,
                                  dim=store.dim)
        served.search(qvecs[:1], TOP_K)  # the server loads the collection once
        times, same = [], 0
        for q, rows in zip(qvecs, one_off_rows):
            t0 = time.perf_counter()
            hits = served.search(q[None], TOP_K)[0]
            times.append((time.perf_counter() - t0) * 1000)
            same += [row_of(h.video_id, h.chunk_index) for h in hits] == rows

        def model_query_per_call(q):  # before: each client also asked one row's model
            with served._open() as client:
                client.search(served.collection, data=[q.tolist()], limit=TOP_K,
                              output_fields=FIELDS, search_params=SEARCH_PARAMS)
        before = stats([timed(model_query_per_call, q) for q in qvecs[:20]])
        # The Lite file's own path while the server holds it: the store follows the note.
        by_file = stats([timed(store.search, q[None], TOP_K) for q in qvecs[:20]])
    finally:
        stop.set()
        worker.join()
    return stats(times), same / len(qvecs), before, by_file


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000])
    ap.add_argument("--reuse-vectors", action="store_true",
                    help="cache the vectors (and their embed timings) in var/bench/ and reuse them")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--backend", default="auto", choices=["auto", "onnx", "bf16", "torch"],
                    help="the backend whose vectors the search part stores and queries")
    ap.add_argument("--compare-sample", type=int, default=2000,
                    help="chunks embedded + inserted by both backends (0: skip the comparison)")
    ap.add_argument("--torch-threads", type=int, default=0,
                    help="torch's intra-op threads for both torch paths (0: torch's default, "
                         "one per core). On a machine busy with other work, 1 thread avoids "
                         "threads waiting on each other while descheduled")
    args = ap.parse_args()
    if args.torch_threads:
        from pattern_pivot.retrieval.embeddings import prefer_sleeping_openmp_threads

        prefer_sleeping_openmp_threads()  # as the embedder would: before torch starts
        import torch

        torch.set_num_threads(args.torch_threads)
    sizes = sorted(set(args.sizes))
    chunks = make_corpus(max(sizes[-1], args.compare_sample), args.seed)
    words = np.mean([len(c.text.split()) for c in chunks])
    print(f"cpus={os.cpu_count()} torch threads={args.torch_threads or 'default'} "
          f"load avg={os.getloadavg()[0]:.1f}; corpus: {len(chunks)} "
          f"chunks, {words:.1f} words/chunk on average, {len(QUERIES)} queries")

    cmp = {}
    if args.compare_sample:
        print(f"torch fp32 vs the default path: embed + insert the first "
              f"{args.compare_sample} chunks ...")
        with tempfile.TemporaryDirectory(dir=BENCH_DIR if BENCH_DIR.is_dir() else None) as tmp:
            part = chunks[:args.compare_sample]
            cmp = compare_backends(["torch", "auto"], [c.text for c in part], part, Path(tmp))
        print_comparison(cmp, args.compare_sample)

    embedder = SentenceEmbedder(batch_size=64, backend=args.backend)
    embedder.encode(["warm up: load the model and run it once"])  # one-off cost, not counted
    print(f"search part: vectors of {embedder.name} on {args.backend} "
          f"({embedder.backend_for(BLOCK)} for blocks of {BLOCK})")
    chunks = chunks[:sizes[-1]]
    cache = BENCH_DIR / f"retrieval_vectors_{embedder.name}_{args.backend}_s{args.seed}" \
        if args.reuse_vectors else None
    vectors, timing = embed_all(embedder, [c.text for c in chunks], sizes, cache)
    qvecs = embedder.encode([q for q, _ in QUERIES])  # embedded beforehand: time search only

    results = {}
    with tempfile.TemporaryDirectory(dir=BENCH_DIR if BENCH_DIR.is_dir() else None) as tmp:
        for n in sizes:
            print(f"inserting and searching {n} chunks ...", flush=True)
            results[n] = r = bench_size(n, chunks[:n], vectors[:n], embedder, qvecs, Path(tmp))
            r["embed_s"], r["embed_cpu"] = timing[n]["wall"], timing[n]["cpu"]

    def row(label, fn, fmt="{:>12.1f}"):
        print(f"{label:<50}" + "".join(fmt.format(fn(results[n], n)) for n in sizes))
    print(f"\n{'metric':<50}" + "".join(f"{n:>12}" for n in sizes))
    row("chunks stored (count())", lambda r, n: r["count"], "{:>12d}")
    row("embed chunks/s (wall)", lambda r, n: n / r["embed_s"])
    row("embed chunks per CPU-s", lambda r, n: n / r["embed_cpu"])
    row("insert chunks/s (replace_video/100)", lambda r, n: n / r["insert_s"])
    row("insert chunks per CPU-s", lambda r, n: n / r["insert_cpu"])
    row("end-to-end chunks/s (embed+insert)", lambda r, n: n / (r["embed_s"] + r["insert_s"]))
    row("insert: open+ensure share %", lambda r, n: 100 * r["insert_open"] / r["insert_s"])
    row("insert: close (flush+index+release) share %",
        lambda r, n: 100 * r["insert_close"] / r["insert_s"])
    row("open+ensure+release p50 ms", lambda r, n: r["open"]["p50"])
    row("open+ensure+release p95 ms", lambda r, n: r["open"]["p95"])
    for key, label in [("store_single", "store.search single (one-off)"),
                       ("engine_one_off", "one-off, engine's full open (before; 20 q)"),
                       ("client_one_off", "one-off via pymilvus+gRPC (older; 20 q)"),
                       ("store_embed", "search_catalog (+query embed)"),
                       ("query_embed", "query embedding alone"),
                       ("session_single", "store.search in one session()"),
                       ("served", "store.search via lite server (client/call)"),
                       ("served_before", "via lite server + model query (before; 20 q)"),
                       ("served_by_file", "store on the .db while served (note; 20 q)"),
                       ("long_single", "long-lived client single")]:
        for s in ("p50", "p95", "mean"):
            row(f"{label} {s} ms", lambda r, n, k=key, s=s: r[k][s])
    row("store batched 100: total ms", lambda r, n: r["store_batch"])
    row("store batched: ms/query", lambda r, n: r["store_batch"] / 100, "{:>12.2f}")
    row("long-lived batched 100: total ms", lambda r, n: r["long_batch"])
    row("long-lived batched: ms/query", lambda r, n: r["long_batch"] / 100, "{:>12.2f}")
    row("store: batched speed-up vs single (x)",
        lambda r, n: r["store_single"]["mean"] * 100 / r["store_batch"], "{:>12.1f}")
    row("long-lived: batched speed-up (x)",
        lambda r, n: r["long_single"]["mean"] * 100 / r["long_batch"], "{:>12.1f}")
    row("one-off: engine's open / store p50 (x)",
        lambda r, n: r["engine_one_off"]["p50"] / r["store_single"]["p50"], "{:>12.1f}")
    row("one-off: engine's open / store p95 (x)",
        lambda r, n: r["engine_one_off"]["p95"] / r["store_single"]["p95"], "{:>12.1f}")
    row("one-off: pymilvus / store p50 (x)",
        lambda r, n: r["client_one_off"]["p50"] / r["store_single"]["p50"], "{:>12.1f}")
    row("store/long-lived single p50 (x)",
        lambda r, n: r["store_single"]["p50"] / r["long_single"]["p50"], "{:>12.1f}")
    row("open/release share of pymilvus one-off p50 %",
        lambda r, n: 100 * min(1.0, r["open"]["p50"] / r["client_one_off"]["p50"]))
    row("top-1 hit on the query's topic %", lambda r, n: 100 * r["top1"])
    row("store.search recall@10 vs exact %", lambda r, n: 100 * r["recall"])
    row("lite server: same top-10 as one-off %", lambda r, n: 100 * r["served_same"])
    row("engine's open: same top-10 as one-off %", lambda r, n: 100 * r["engine_same"])
    for ef in EF_SWEEP:
        row(f"long-lived ef={ef}: p50 ms", lambda r, n, e=ef: r["ef"][e]["p50"])
        row(f"long-lived ef={ef}: p95 ms", lambda r, n, e=ef: r["ef"][e]["p95"])
        row(f"long-lived ef={ef}: recall@10 %", lambda r, n, e=ef: 100 * r["ef"][e]["recall"])

    big = sizes[-1]
    e2e = big / (results[big]["embed_s"] + results[big]["insert_s"])
    p95 = results[big]["store_single"]["p95"]
    print(f"\nSummary (targets from the issue; 2 cores; load avg now {os.getloadavg()[0]:.1f})")
    print(f"  ingest >= 150 chunks/s at {big} ({embedder.name}): {e2e:8.1f} chunks/s   "
          f"{'PASS' if e2e >= 150 else 'MISS'}")
    if cmp:
        for insert, how in (("insert", "a file open per video"),
                            ("insert_session", "one session")):
            rate = e2e_rate(cmp["auto"], args.compare_sample, insert)
            ratio = rate / e2e_rate(cmp["torch"], args.compare_sample, insert)
            print(f"  default/torch end-to-end >= 3x at {args.compare_sample} ({how}): "
                  f"{ratio:5.2f}x ({rate:.0f} chunks/s)   {'PASS' if ratio >= 3 else 'MISS'}")
    print(f"  p95 single one-off search (store.search) <= 150 ms at {big}: {p95:8.1f} ms   "
          f"{'PASS' if p95 <= 150 else 'MISS'}  (recall@10 "
          f"{100 * results[big]['recall']:.1f}%)")
    return 0


def e2e_rate(r: dict, n: int, insert: str = "insert") -> float:
    return n / (r["embed"] + r[insert])


def print_comparison(cmp: dict, n: int) -> None:
    t, o = cmp["torch"], cmp["auto"]
    cos = (t["vectors"] * o["vectors"]).sum(axis=1)
    head = f"embed + insert {n} chunks"
    new = f"default ({o['used']})"
    print(f"\n{head:<46}{'torch fp32':>12}{new:>14}{'ratio':>9}")
    for label, fn in [("model load + first batch s", lambda r: r["load"]),
                      ("embed chunks/s (wall)", lambda r: n / r["embed"]),
                      ("embed chunks per CPU-s", lambda r: n / r["embed_cpu"]),
                      ("insert chunks/s (a file open per video)", lambda r: n / r["insert"]),
                      ("insert chunks/s (one session)", lambda r: n / r["insert_session"]),
                      ("end-to-end chunks/s (open per video)", lambda r: e2e_rate(r, n)),
                      ("end-to-end chunks/s (one session)",
                       lambda r: e2e_rate(r, n, "insert_session"))]:
        print(f"{label:<46}{fn(t):>12.1f}{fn(o):>14.1f}{fn(o) / fn(t):>8.2f}x")
    print(f"{'cosine default vs torch: min / mean':<46}{cos.min():>12.6f}{cos.mean():>14.6f}")
    ref, got = t["queries"] @ t["vectors"].T, o["queries"] @ o["vectors"].T
    top2 = np.sort(ref, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * np.abs(got - ref).max()
    same = got.argmax(axis=1) == ref.argmax(axis=1)
    print(f"{'max query-chunk score difference':<46}{np.abs(got - ref).max():>12.5f}")
    print(f"{'same top-1 chunk as torch (all queries) %':<46}{100 * same.mean():>12.1f}")
    label, count = "  ... where torch's winner leads by > 2x it", f"({clear.sum()} queries)"
    print(f"{label:<46}{100 * same[clear].mean() if clear.any() else float('nan'):>12.1f}"
          f"{count:>16}")


if __name__ == "__main__":
    sys.exit(main())
