"""Transcript chunks and their vectors in Milvus (a Milvus Lite file or any Milvus server).

Schema (one collection per embedding model, so vector spaces never mix):

    id           VARCHAR  primary key "{video_id}:{chunk:05d}" (deterministic: idempotent upserts)
    video_id     VARCHAR  the catalog video
    chunk_index  INT64
    channel      VARCHAR  source channel ("local" for folder videos)
    published_at INT64    unix seconds the video was published/added (date filters)
    start, end   DOUBLE   seconds into the video
    text         VARCHAR
    model        VARCHAR  embedding model name
    vector       FLOAT_VECTOR(dim), HNSW index, cosine

Milvus Lite locks its data file for one process: each operation opens the file, works,
and releases it, waiting (bounded) while another process holds it; while a long-lived
``lite_server`` holds it (its note checks out), operations go through that server instead.
Steps that write are also serialised by the Dagster ``milvus`` pool; for real concurrency
point ``uri`` at a Milvus server (``milvus-lite server`` or Milvus standalone).
"""

from __future__ import annotations

import json
import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.retrieval.chunking import Chunk, chunk_id

log = logging.getLogger(__name__)
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]+$")
_SERVER_SCHEMES = ("http://", "https://", "tcp://", "unix:")  # what pymilvus connects to
URI_ENV = "PATTERN_PIVOT_MILVUS_URI"
_TEXT_MAX = 8192
# HNSW search breadth. Measured at 50k chunks (benchmarks/retrieval_benchmark.py): recall@10
# against exact search is 98.1% at ef=64 and 99.8% at ef=128, for the same ~21 ms per query.
SEARCH_EF = 128
_HIT_FIELDS = ("video_id", "chunk_index", "start", "end", "text")  # what a Hit reads


def search_params(top_k: int) -> dict:
    return {"metric_type": "COSINE", "params": {"ef": max(SEARCH_EF, top_k * 2)}}


class VectorStoreError(PatternPivotError):
    """The vector store is unreachable, locked too long, or holds another model's vectors."""


@dataclass(frozen=True)
class SearchFilters:
    video_ids: tuple[str, ...] = ()
    channel: str | None = None
    published_from: int | None = None  # unix seconds, inclusive
    published_to: int | None = None

    def expression(self) -> str:
        parts = []
        if self.video_ids:
            for vid in self.video_ids:
                if not _SAFE_ID.match(vid):
                    raise ValueError(f"not a video id: {vid!r}")
            parts.append(f"video_id in {json.dumps(list(self.video_ids))}")
        if self.channel is not None:
            parts.append(f"channel == {json.dumps(self.channel)}")
        if self.published_from is not None:
            parts.append(f"published_at >= {int(self.published_from)}")
        if self.published_to is not None:
            parts.append(f"published_at <= {int(self.published_to)}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Hit:
    video_id: str
    chunk_index: int
    start: float
    end: float
    score: float
    text: str


def collection_name(prefix: str, model_name: str, dim: int) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", model_name).strip("_").lower()
    return f"{prefix}_{slug}_{dim}"[:255]


class MilvusChunkStore:
    def __init__(self, uri: str, *, model_name: str, dim: int,
                 prefix: str = "transcript_chunks", token: str | None = None,
                 lock_timeout: float = 300.0):
        self.uri = uri
        self.model_name = model_name
        self.dim = dim
        self.collection = collection_name(prefix, model_name, dim)
        self.token = token
        self._lock_timeout = lock_timeout
        self._local = uri.endswith(".db")
        self._session_client = None
        # A stored row's model, once read, is not read again by this handle: Milvus Lite
        # answers that one-row query by walking every row (~250 ms at 50k chunks), most of
        # the cost of each further write.
        self._rows_checked = False

    # -- connection -------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator["MilvusChunkStore"]:
        """Keep one connection (and, for Milvus Lite, the file lock) for several operations:
        opening and releasing the file costs ~125 ms, a search on an open client ~10 ms."""
        if self._session_client is not None:
            yield self
            return
        with self._open() as client:
            self._session_client = client
            try:
                yield self
            finally:
                self._session_client = None

    @contextmanager
    def _client(self, check_rows: bool = True) -> Iterator["MilvusClient"]:  # noqa: F821
        if self._session_client is not None:
            yield self._session_client
        else:
            with self._open(check_rows) as client:
                yield client

    def live_uri(self) -> str:
        """Where to connect now: while a long-lived lite server holds this Milvus Lite file
        (its note checks out, see ``lite_server``), that server; else ``uri`` itself."""
        if not self._local:
            return self.uri
        from pattern_pivot.retrieval.lite_server import running_server

        server = running_server(self.uri)
        return server.uri if server is not None else self.uri

    @contextmanager
    def _open(self, check_rows: bool = True) -> Iterator["MilvusClient"]:  # noqa: F821
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        if self._local:
            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
        elif not self.uri.startswith(_SERVER_SCHEMES):
            raise VectorStoreError(
                f"Milvus URI {self.uri!r}", "is neither a Milvus Lite file (*.db) nor a "
                f"server URL ({', '.join(_SERVER_SCHEMES)})",
                f"set {URI_ENV} to a file such as var/milvus.db or a server such as "
                "http://127.0.0.1:19530")
        deadline = time.monotonic() + self._lock_timeout
        delay = 0.2
        while True:
            # A lite server holding the file is asked instead (checked again on every wait:
            # one may start, or stop, while we wait for the file).
            target = self.live_uri()
            served = target != self.uri
            try:
                client = MilvusClient(target, token=self.token or "")
                break
            except MilvusException as exc:
                if served and self.live_uri() != target:
                    continue  # that server stopped meanwhile: take the file (or the next one)
                if served or not self._local:
                    raise self._server_error(exc, target) from exc
                if time.monotonic() > deadline:
                    raise VectorStoreError(
                        f"Milvus Lite file {self.uri}", f"cannot be opened ({exc})",
                        "another process holds the Milvus Lite file: wait for it, or serve it "
                        "to several processes with `python -m pattern_pivot.retrieval."
                        "lite_server` / `milvus-lite server` / Milvus standalone "
                        f"and set {URI_ENV} to it") from exc
                time.sleep(delay)
                delay = min(delay * 2, 3.0)
        try:
            self._ensure_collection(client, check_rows)
            yield client
        finally:
            client.close()
            if self._local and not served:  # free the file lock for other processes now
                from milvus_lite.server_manager import server_manager_instance

                server_manager_instance.release_server(self.uri)

    def _server_error(self, exc: Exception, uri: str | None = None) -> VectorStoreError:
        """A server is never locked by another process: say what is really wrong."""
        uri = uri or self.uri
        if getattr(exc, "code", None) == 2:  # pymilvus: "Fail connecting to server"
            return VectorStoreError(
                f"Milvus at {uri}", "cannot be reached (nothing answers there)",
                f"start it (`milvus-lite server` or Milvus standalone, see docker/), or set "
                f"{URI_ENV} to the server's address or to a Milvus Lite file such as "
                "var/milvus.db")
        return VectorStoreError(f"Milvus at {uri}", f"refused the connection ({exc})",
                                "check the server's address and, if it needs one, the token")

    def _ensure_collection(self, client, check_rows: bool = True) -> None:
        from pymilvus import DataType, MilvusClient

        description = json.dumps({"model": self.model_name, "dim": self.dim})
        if client.has_collection(self.collection):
            client.load_collection(self.collection)  # once: loading reads every segment
            self._check_model(client, check_rows)
            return
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False,
                                            description=description)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=128)
        schema.add_field("video_id", DataType.VARCHAR, max_length=64)
        schema.add_field("chunk_index", DataType.INT64)
        schema.add_field("channel", DataType.VARCHAR, max_length=128)
        schema.add_field("published_at", DataType.INT64)
        schema.add_field("start", DataType.DOUBLE)
        schema.add_field("end", DataType.DOUBLE)
        schema.add_field("text", DataType.VARCHAR, max_length=_TEXT_MAX * 4)
        schema.add_field("model", DataType.VARCHAR, max_length=256)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        index = client.prepare_index_params()
        index.add_index("vector", index_type="HNSW", metric_type="COSINE",
                        params={"M": 16, "efConstruction": 200})
        try:
            client.create_collection(self.collection, schema=schema, index_params=index)
        except Exception:
            # Another process on the same server created it between our check and our create
            # (two ingest workers starting at once): use theirs, after the same model check.
            # Milvus Lite makes the folder before it writes the schema, so our create can fail
            # ("File exists") before theirs is visible: give theirs a few seconds to finish.
            deadline = time.monotonic() + 10.0
            while not client.has_collection(self.collection):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
            client.load_collection(self.collection)
            self._check_model(client)
            return
        client.load_collection(self.collection)

    def _check_model(self, client, check_rows: bool = True) -> None:
        """The collection name encodes the model, but names can be shared by accident: check
        the vector dimension and a stored row's model before mixing vector spaces. A search
        checks the model of the rows it returns instead (``check_rows=False``): Milvus Lite
        answers this one-row query by walking every row (~250 ms at 50k chunks)."""
        fields = client.describe_collection(self.collection).get("fields", [])
        dims = [f.get("params", {}).get("dim") for f in fields if f.get("name") == "vector"]
        check_rows = check_rows and not self._rows_checked
        found_model = None if check_rows else self.model_name
        rows = []
        if dims and int(dims[0]) == self.dim and check_rows:
            rows = client.query(self.collection, filter="", output_fields=["model"], limit=1)
            found_model = rows[0]["model"] if rows else self.model_name
        self._refuse_other_model(dims[0] if dims else None, found_model)
        self._rows_checked = self._rows_checked or bool(rows)  # an empty one is checked again

    def _refuse_other_model(self, dim, found_model: str | None) -> None:
        if dim is None or int(dim) != self.dim:
            found_model = None
        if found_model != self.model_name:
            raise VectorStoreError(
                f"collection {self.collection}",
                f"holds vectors of another model ({found_model or f'dim {dim}'}), "
                f"not {self.model_name} (dim {self.dim})",
                "use another collection prefix, or drop the collection and re-index")

    # -- writes -----------------------------------------------------------------------
    def replace_video(self, video_id: str, chunks: Sequence[Chunk], vectors: np.ndarray, *,
                      channel: str = "local", published_at: int = 0) -> None:
        """Make the store hold exactly these chunks for ``video_id``, its chunks 0..n-1:
        write them by deterministic id (never a duplicate), then delete the chunks from n
        on that an earlier, longer indexing left."""
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk")
        for position, c in enumerate(chunks):
            if (c.video_id, c.index) != (video_id, position):
                raise ValueError(f"chunk {c.id!r} given as chunk {position} of video "
                                 f"{video_id!r}: pass the video's own chunks, in order from 0")
        vectors = np.asarray(vectors, dtype=np.float32)
        rows = [{"id": c.id, "video_id": video_id, "chunk_index": c.index, "channel": channel,
                 "published_at": int(published_at), "start": c.start, "end": c.end,
                 "text": c.text[:_TEXT_MAX], "model": self.model_name, "vector": v}
                for c, v in zip(chunks, vectors.tolist())]
        # A video's chunks are always 0..m-1 (checked above), so two point reads tell what
        # it holds: chunk 0 (indexed before?) and chunk n (a stale tail to delete?). A
        # filtered query would scan every row (Milvus Lite: the whole unflushed memtable).
        first, past_end = chunk_id(video_id, 0), chunk_id(video_id, len(chunks))
        with self._client() as client:
            held = {r["id"] for r in client.get(self.collection, ids=[first, past_end],
                                                output_fields=["id"])}
            # Upsert reads each row it replaces first; a new video has none to read.
            write = client.upsert if first in held else client.insert
            for i in range(0, len(rows), 1000):
                write(self.collection, rows[i:i + 1000])
            if past_end in held:
                client.delete(self.collection, filter=f"video_id == {json.dumps(video_id)} "
                                                      f"and chunk_index >= {len(chunks)}")

    # -- reads ------------------------------------------------------------------------
    def count(self, video_id: str | None = None) -> int:
        with self._client() as client:
            expr = f"video_id == {json.dumps(video_id)}" if video_id else ""
            rows = client.query(self.collection, filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def search(self, vectors: np.ndarray, top_k: int = 10,
               filters: SearchFilters | None = None) -> list[list[Hit]]:
        """The ``top_k`` nearest chunks for each query vector (one list per query)."""
        expr = (filters or SearchFilters()).expression()
        data = [np.asarray(v, dtype=np.float32).tolist() for v in vectors]
        results = None
        if self._local and self._session_client is None:
            results = self._search_lite_engine(data, top_k, expr)
        if results is None:
            with self._client(check_rows=False) as client:
                results = client.search(self.collection, data=data, limit=top_k, filter=expr,
                                        output_fields=[*_HIT_FIELDS, "model"],
                                        search_params=search_params(top_k))
            for hit in (h for per_query in results for h in per_query):
                self._refuse_other_model(self.dim, hit["entity"]["model"])
        return [[Hit(video_id=h["entity"]["video_id"], chunk_index=h["entity"]["chunk_index"],
                     start=h["entity"]["start"], end=h["entity"]["end"],
                     # float32 as Milvus's wire format carries it: both paths round alike
                     score=round(float(np.float32(h["distance"])), 4),
                     text=h["entity"]["text"])
                 for h in per_query] for per_query in results]

    def _search_lite_engine(self, data: list, top_k: int, expr: str) -> list | None:
        """A one-off search straight on the Milvus Lite file in this process: no gRPC
        server and no pymilvus (seconds of imports and round trips on a busy machine). While
        it holds the file's lock, ``lite_reader`` reads only the ids, the index and the hit
        rows (the engine's own open reads every column of every segment); what that reader
        cannot read goes to the Milvus Lite engine itself, whose gRPC server would only turn
        a client's request into that same ``Collection.search`` call: the same hits either
        way. None when the file is locked (another process, or a client in this one): the
        caller then takes the client path, which waits for the lock or reuses this process's
        server."""
        from milvus_lite import MilvusLite
        from milvus_lite.exceptions import DataDirLockedError

        from pattern_pivot.retrieval import lite_reader

        Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            db = MilvusLite(self.uri)  # public engine API; takes the file's lock
        except DataDirLockedError:
            return None
        try:
            if not db.has_collection(self.collection):
                return [[] for _ in data]  # nothing indexed yet with this model
            params = search_params(top_k)["params"]
            try:
                hits, dim, model = lite_reader.search(
                    self.uri, db.resolve_collection_name(self.collection),
                    np.asarray(data, dtype=np.float32), top_k, expr or None,
                    list(_HIT_FIELDS), params)
            except lite_reader.NotReadable as why:
                log.info("searching through the Milvus Lite engine: %s", why)
                hits, dim, model = self._search_engine(db, data, top_k, expr, params)
            self._refuse_other_model(dim, model or self.model_name)
            return hits
        finally:
            db.close()

    def _search_engine(self, db, data: list, top_k: int, expr: str, params: dict):
        """The Milvus Lite engine's own open and search: ``(hits, dim, model of a row)``."""
        col = db.get_collection(self.collection)
        col.load()
        vector = [f for f in col.schema.fields if f.name == "vector"]
        rows = col.query(expr=None, output_fields=["model"], limit=1)
        hits = col.search(data, top_k=top_k, metric_type="COSINE", expr=expr or None,
                          output_fields=list(_HIT_FIELDS), search_params=params)
        return hits, vector[0].dim if vector else None, rows[0]["model"] if rows else None
