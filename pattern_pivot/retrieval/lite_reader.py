"""A one-off search over a Milvus Lite collection's files that reads only what it needs.

Milvus Lite 3 opens a collection by reading every column of every segment (vectors and
text included), building per-row Python maps, and loading each segment's HNSW index into
memory; each search then walks every row in Python to drop superseded and deleted rows.
At 50k chunks that is ~300 ms for 10 hits. This reader, run while the caller holds the
file's lock, reads the manifest, the primary keys and sequence numbers (plus any filtered
columns), memory-maps each segment's persisted HNSW index (the OS pages in only the
vectors a search visits), and reads the other fields of the hit rows only.

It applies Milvus Lite's own rules, with its own index and filter code, so the hits are
the engine's: a row counts when its ``_seq`` is the highest for its primary key and no
delete has a higher ``_seq``; each segment's index is asked for ``top_k`` (with an id
selector when rows are excluded); candidates merge by (distance, segment, row).

What it does not know, it refuses with ``NotReadable`` and the caller uses the engine:
another Milvus Lite version (the file layout is the engine's own), writes still in the
write-ahead log, a segment without a persisted index, a scalar index, a non-FAISS index.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import metadata

import numpy as np

# The Milvus Lite release whose on-disk layout (manifest, parquet segments, index sidecars,
# WAL) this reader follows; any other falls back to the engine (same hits, slower).
LAYOUT_VERSION = "3.2.2"
_BATCH_ROWS = 4096
_FAISS_TYPES = {"HNSW": "faiss_hnsw.FaissHnswIndex"}  # what we create; others: the engine


class NotReadable(Exception):
    """This collection needs the full engine (the message says why)."""


@dataclass
class _Segment:
    file: object  # pyarrow.parquet.ParquetFile
    index_path: str
    pks: object  # pyarrow array
    seqs: np.ndarray
    columns: object  # pyarrow table of the filtered fields (or None)
    live: np.ndarray | None = None  # dedup + tombstones (+ filter)


def search(data_dir: str, collection: str, queries: np.ndarray, top_k: int, expr: str | None,
           output_fields: list[str], search_params: dict) -> tuple[list[list[dict]], int | None,
                                                                   str | None]:
    """``(hits per query, the vector field's dim, the model of one live row)``. Hits have
    Milvus's shape ``{"id", "distance", "entity"}``; ``model`` is None when nothing is
    stored. Raises ``NotReadable`` for what only the engine can read."""
    from milvus_lite.schema.persistence import load_schema
    from milvus_lite.storage.manifest import Manifest
    from milvus_lite.storage.wal import WAL

    version = _installed_version()
    if version != LAYOUT_VERSION:
        raise NotReadable(f"milvus-lite {version}, this reader follows {LAYOUT_VERSION}")
    col_dir = os.path.join(data_dir, "collections", collection)  # MilvusLite's layout
    _, schema = load_schema(os.path.join(col_dir, "schema.json"))
    if WAL.find_wal_files(os.path.join(col_dir, "wal")):
        raise NotReadable("writes not yet flushed from the write-ahead log")
    manifest = Manifest.load(col_dir)
    pk_field = next(f.name for f in schema.fields if f.is_primary)
    vector = _vector_field(schema)
    spec = _vector_spec(manifest, vector.name)
    compiled = _compile(expr, schema)
    filter_fields = sorted(compiled.fields) if compiled is not None else []

    segments = _read_segments(col_dir, manifest, pk_field, vector.name, spec, filter_fields)
    deletes = _read_deletes(col_dir, manifest, pk_field)
    _mark_live(segments, deletes)
    model = _model_of_a_live_row(segments)
    if compiled is not None:
        from milvus_lite.search.filter import evaluate_mask

        for seg in segments:
            seg.live = seg.live & evaluate_mask(compiled, seg.columns)

    queries = np.ascontiguousarray(queries, dtype=np.float32)
    candidates: list[list[tuple[float, int, int]]] = [[] for _ in range(len(queries))]
    for number, seg in enumerate(segments):
        if not seg.live.any():
            continue
        index = _open_index(spec, seg, vector.dim)
        ids, dists = index.search(queries, top_k, params=search_params,
                                  valid_mask=None if seg.live.all() else seg.live)
        for q in range(len(queries)):
            for j in range(top_k):
                if ids[q, j] < 0:
                    break
                candidates[q].append((float(dists[q, j]), number, int(ids[q, j])))
    return _materialize(segments, candidates, top_k, pk_field, output_fields,
                        spec.metric_type), vector.dim, model


@functools.cache
def _installed_version() -> str | None:
    try:
        return metadata.version("milvus-lite")
    except metadata.PackageNotFoundError:
        return None


def _vector_field(schema):
    from milvus_lite.schema.types import DataType

    vectors = [f for f in schema.fields if f.dtype == DataType.FLOAT_VECTOR]
    if (len(vectors) != 1 or vectors[0].nullable or schema.enable_dynamic_field
            or schema.functions):
        raise NotReadable("not one non-null dense vector field without functions")
    return vectors[0]


def _vector_spec(manifest, vector_name: str):
    specs = manifest.index_specs
    spec = specs.get(vector_name)
    if (set(specs) != {vector_name} or spec is None or spec.index_type not in _FAISS_TYPES
            or spec.metric_type != "COSINE"):  # what the store creates and searches with
        raise NotReadable(f"indexes {sorted(specs)} are not one cosine HNSW on {vector_name}")
    return spec


def _compile(expr: str | None, schema):
    if not expr:
        return None
    from milvus_lite.search.filter import compile_filter

    return compile_filter(expr, schema, default_timezone=schema.properties.get("timezone"))


def _read_segments(col_dir, manifest, pk_field, vector_name, spec, filter_fields):
    import pyarrow.parquet as pq
    from milvus_lite.index.files import index_sidecar_path

    segments = []
    for partition, files in manifest.get_all_data_files().items():
        part_dir = os.path.join(col_dir, "partitions", partition)
        for rel in files:
            path = os.path.join(part_dir, rel)
            file = pq.ParquetFile(path)
            if file.metadata.num_rows == 0:
                continue
            table = file.read(columns=[pk_field, "_seq", *filter_fields], use_threads=False)
            index_path = index_sidecar_path(os.path.join(part_dir, "indexes"), path,
                                            vector_name, spec.index_type, scalar=False)
            if not os.path.exists(index_path):
                raise NotReadable(f"segment {rel} has no persisted index yet")
            segments.append(_Segment(
                file, index_path, table.column(pk_field).combine_chunks(),
                table.column("_seq").to_numpy().astype(np.uint64, copy=False),
                table.select(filter_fields) if filter_fields else None))
    return segments


def _read_deletes(col_dir, manifest, pk_field):
    """Tombstones as a table (pk, max delete _seq), or None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(os.path.join(col_dir, "partitions", partition, rel),
                            columns=[pk_field, "_seq"])
              for partition, files in manifest.get_all_delta_files().items() for rel in files]
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return None
    merged = pa.concat_tables(tables).group_by(pk_field).aggregate([("_seq", "max")])
    return merged.column(pk_field).combine_chunks(), merged.column("_seq_max").to_numpy()


def _mark_live(segments, deletes) -> None:
    """Milvus Lite's row rule, vectorised: the highest ``_seq`` per primary key wins (an
    upsert leaves older versions in older segments), and a delete with a higher ``_seq``
    hides it. A segment holds each key once (a flush writes the memtable, keyed by primary
    key; compaction keeps the newest version), so only keys found in two segments compete.
    The largest segment is probed against the others' keys, never hashed itself."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for seg in segments:
        seg.live = np.ones(len(seg.seqs), dtype=bool)
    if len(segments) > 1:
        big = max(range(len(segments)), key=lambda n: len(segments[n].seqs))
        rest = [seg for n, seg in enumerate(segments) if n != big]
        rest_pks = pa.concat_arrays([seg.pks for seg in rest])
        rest_seqs = np.concatenate([seg.seqs for seg in rest])
        latest = pa.table({"pk": rest_pks, "seq": rest_seqs}).group_by("pk").aggregate(
            [("seq", "max")])
        keys = latest.column("pk").combine_chunks()
        newest = latest.column("seq_max").to_numpy().copy()
        in_big = pc.index_in(segments[big].pks, value_set=keys)
        shared = ~in_big.is_null().to_numpy(zero_copy_only=False)
        if shared.any():  # the key's newest version over every segment
            where = in_big.to_numpy(zero_copy_only=False)[shared].astype(np.int64)
            np.maximum.at(newest, where, segments[big].seqs[shared])
            segments[big].live[shared] = segments[big].seqs[shared] == newest[where]
        owner = pc.index_in(rest_pks, value_set=keys).to_numpy().astype(np.int64)
        rest_live = rest_seqs == newest[owner]
        first = 0
        for seg in rest:
            seg.live = rest_live[first:first + len(seg.seqs)]
            first += len(seg.seqs)
    if deletes is not None:
        deleted_pks, deleted_seqs = deletes
        for seg in segments:
            where = pc.index_in(seg.pks, value_set=deleted_pks)
            hit = ~where.is_null().to_numpy(zero_copy_only=False)
            if hit.any():
                rows = np.flatnonzero(hit)
                later = deleted_seqs[where.to_numpy(zero_copy_only=False)[hit].astype(np.int64)]
                seg.live[rows[later > seg.seqs[hit]]] = False


def _model_of_a_live_row(segments) -> str | None:
    for seg in segments:
        rows = np.flatnonzero(seg.live)
        if rows.size:
            return _read_rows(seg.file, [int(rows[0])], ["model"])[0]["model"]
    return None


def _read_rows(file, rows: list[int], fields: list[str]) -> list[dict]:
    """Rows ``rows`` (ascending) of ``file``: Milvus Lite writes a segment as one row group,
    so read it in batches and stop after the last row wanted (a hit's text is a few hundred
    bytes of a column of megabytes)."""
    out, first, wanted = [], 0, iter(rows)
    row = next(wanted, None)
    for batch in file.iter_batches(batch_size=_BATCH_ROWS, columns=fields, use_threads=False):
        end = first + batch.num_rows
        take = []
        while row is not None and row < end:
            take.append(row - first)
            row = next(wanted, None)
        if take:
            out += batch.take(take).to_pylist()
        if row is None:
            break
        first = end
    if len(out) != len(rows):
        raise NotReadable("a segment has fewer rows than its index")
    return out


def _open_index(spec, seg: _Segment, dim: int):
    """The segment's persisted FAISS index, memory-mapped where FAISS can (flat storage):
    a search touches a few thousand of its vectors, not all of them."""
    import importlib

    import faiss

    module, cls = _FAISS_TYPES[spec.index_type].split(".")
    wrapper = getattr(importlib.import_module(f"milvus_lite.index.{module}"), cls)
    try:
        raw = faiss.read_index(seg.index_path,
                               faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        raw = faiss.read_index(seg.index_path)
    if raw.d != dim or raw.ntotal != len(seg.seqs):
        raise NotReadable(f"index {seg.index_path} does not match its segment")
    return wrapper(raw, spec.metric_type, int(raw.ntotal), dim)


def _materialize(segments, candidates, top_k, pk_field, output_fields, metric_type):
    """The winners per query, with their fields read from their segments only."""
    from milvus_lite.engine.collection import _internal_distance_to_milvus_distance

    winners = []
    for per_query in candidates:
        per_query.sort()
        winners.append(per_query[:top_k])
    wanted: dict[int, set[int]] = {}
    for per_query in winners:
        for _, number, row in per_query:
            wanted.setdefault(number, set()).add(row)
    fields = [f for f in dict.fromkeys(output_fields) if f != pk_field]
    records: dict[tuple[int, int], dict] = {}
    for number, rows in wanted.items():
        order = sorted(rows)
        for row, record in zip(order, _read_rows(segments[number].file, order, fields)):
            records[number, row] = record
    return [[{"id": segments[number].pks[row].as_py(),
              "distance": _internal_distance_to_milvus_distance(dist, metric_type),
              "entity": dict(records[number, row])}
             for dist, number, row in per_query] for per_query in winners]
