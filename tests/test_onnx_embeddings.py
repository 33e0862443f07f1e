"""The int8 ONNX embedding backend: close to the torch model, verified on load, kept apart."""

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


def test_onnx_vectors_and_top1_hits_agree_with_the_torch_model(both):
    onnx, torch = both
    docs = [s for script in SCRIPTS for s in sentences(script.text)]
    queries = [t.format(p) for p in PHRASES for t in TEMPLATES]
    a, b = onnx.encode(docs + queries), torch.encode(docs + queries)
    assert a.shape == b.shape == (len(docs) + len(queries), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cosine = (a * b).sum(axis=1)
    # Measured: min 0.987, mean 0.991 (int8 with 7-bit weights: the same integers on any
    # x86 CPU, so this is not a bound for this machine only).
    assert cosine.min() >= 0.975 and cosine.mean() >= 0.985
    n = len(docs)
    ref, got = b[n:] @ b[:n].T, a[n:] @ a[:n].T
    picks = got.argmax(axis=1)
    agree = np.mean(ref.argmax(axis=1) == picks)
    # Measured 0.96 here (0.93 on the benchmark's 100 queries), not the 0.99 hoped for: int8
    # noise reorders near-ties. For every query the ONNX pick is among torch's top 3 and
    # scores within 0.04 of its best (measured: top 2, within 0.018).
    assert agree >= 0.90
    rank = (ref > ref[np.arange(len(picks)), picks][:, None]).sum(axis=1)
    assert rank.max() < 3
    assert (ref.max(axis=1) - ref[np.arange(len(picks)), picks]).max() <= 0.04


def test_the_onnx_vectors_get_their_own_collection(both):
    onnx, torch = both
    assert onnx.name != torch.name
    assert collection_name("transcript_chunks", onnx.name, onnx.dimension) != \
        collection_name("transcript_chunks", torch.name, torch.dimension)


def test_bad_backend_choices_are_refused(tmp_path):
    with pytest.raises(ModelError, match="not one of auto, onnx, torch"):
        SentenceEmbedder(backend="tensorflow")
    with pytest.raises(ModelError, match="only built for the bundled"):
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
