"""The ONNX embedding backend: the torch model's vectors, verified on load, one collection."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pattern_pivot.errors import ModelError
from pattern_pivot.retrieval import onnx_export
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.milvus_store import collection_name
from pattern_pivot.retrieval.onnx_embedder import OnnxMiniLM, verified_export
from pattern_pivot.sample_channel.scripts import SCRIPTS, sentences

# Queries in the words a user would type, over the five sample-channel topics.
PHRASES = ["feeding a sourdough starter", "scoring a loaf before baking",
           "overnight proof in the fridge", "sizing a home battery",
           "solar panels and an inverter", "running the house during a blackout",
           "the taper before race day", "fueling with gels during a race",
           "repotting a root bound plant", "fungus gnats in potting soil",
           "paying down credit card debt", "an emergency fund",
           "tracking spending categories", "the long run pace",
           "overwatering houseplants", "kilowatt hours on the power bill"]
TEMPLATES = ["{}", "how do I get started with {}", "tips on {}", "common mistakes with {}",
             "explain {} for a beginner"]


@pytest.fixture(scope="module")
def both():
    return SentenceEmbedder(backend="onnx"), SentenceEmbedder(backend="torch")


def _benchmark_queries() -> list[str]:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from retrieval_benchmark import QUERIES

    return [q for q, _ in QUERIES]


def test_onnx_vectors_and_top1_hits_are_the_torch_models(both):
    onnx, torch = both
    docs = [s for script in SCRIPTS for s in sentences(script.text)]
    queries = [t.format(p) for p in PHRASES for t in TEMPLATES] + _benchmark_queries()
    a, b = onnx.encode(docs + queries), torch.encode(docs + queries)
    assert a.shape == b.shape == (len(docs) + len(queries), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    # fp32 on both sides: they differ only in float summation order (measured: cosine min
    # 0.999999; the int8 export this replaced reached 0.976).
    cosine = (a * b).sum(axis=1)
    print(f"cosine min {cosine.min():.7f}")
    assert cosine.min() >= 0.9999
    n = len(docs)
    ref, got = b[n:] @ b[:n].T, a[n:] @ a[:n].T
    # The same top-1 hit for every query whose torch winner leads by more than float noise
    # could flip (on another CPU, summation order differs); measured: all 180 do here.
    top2 = np.sort(ref, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 1e-4
    print(f"clear {clear.sum()} of {len(clear)}; agree {np.mean(got.argmax(1) == ref.argmax(1))}")
    assert clear.mean() >= 0.95
    assert (got.argmax(axis=1) == ref.argmax(axis=1))[clear].all()


def test_both_backends_share_one_collection(both):
    # Equal vectors, one vector space: switching backend must not re-index the catalog.
    onnx, torch = both
    assert onnx.name == torch.name
    assert collection_name("transcript_chunks", onnx.name, onnx.dimension) == \
        collection_name("transcript_chunks", torch.name, torch.dimension)


def test_bad_backend_choices_are_refused(tmp_path):
    with pytest.raises(ModelError, match="not one of auto, onnx, bf16, torch"):
        SentenceEmbedder(backend="tensorflow")
    with pytest.raises(ModelError, match="only proven equivalent for the bundled"):
        SentenceEmbedder(str(tmp_path), backend="onnx")


def test_a_changed_export_is_refused_on_load(tmp_path):
    built = verified_export()[0]
    copy = onnx_export.export_dir(tmp_path)
    shutil.copytree(built, copy)
    with (copy / onnx_export.MODEL_FILE).open("r+b") as handle:  # flip one weight byte
        handle.seek(-100, 2)
        byte = handle.read(1)
        handle.seek(-100, 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError, match="recorded when it was built") as err:
        OnnxMiniLM(tmp_path)
    assert "models prepare" in str(err.value)


def test_auto_runs_the_bundled_model_on_onnx_and_a_model_directory_on_torch(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert SentenceEmbedder().backend_for(1) == "onnx"  # bulk encodes: test_bf16_embeddings
    assert SentenceEmbedder(str(tmp_path)).backend == "torch"
