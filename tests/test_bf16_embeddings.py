"""The bf16 embedding backend (the ONNX export on OpenVINO): chunks stored from bf16 answer
fp32 (ONNX) queries with the torch fp32 model's top-1 hits, without importing torch; auto uses
it only for bulk encodes on a CPU with native bf16. Where the CPU has no native bf16,
OpenVINO runs the same backend in fp32, and these bounds hold a fortiori."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pattern_pivot.retrieval import embeddings
from pattern_pivot.retrieval.embeddings import BULK_TEXTS, SentenceEmbedder
from pattern_pivot.sample_channel.scripts import SCRIPTS, sentences
from tests.test_onnx_embeddings import PHRASES, TEMPLATES, _benchmark_queries


def test_bf16_stored_vectors_answer_fp32_queries_with_the_torch_models_top1():
    docs = [s for script in SCRIPTS for s in sentences(script.text)]
    queries = [t.format(p) for p in PHRASES for t in TEMPLATES] + _benchmark_queries()
    fp32 = SentenceEmbedder(backend="torch")
    stored = SentenceEmbedder(backend="bf16").encode(docs)
    asked = SentenceEmbedder(backend="onnx").encode(queries)  # what `search` embeds with
    ref_docs, ref_queries = fp32.encode(docs), fp32.encode(queries)
    assert stored.dtype == np.float32 and stored.shape == ref_docs.shape
    assert np.allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-5)
    cosine = (stored * ref_docs).sum(axis=1)
    print(f"cosine min {cosine.min():.7f}")
    assert cosine.min() >= 0.9999  # measured 0.99998 (AMX)
    ref, got = ref_queries @ ref_docs.T, asked @ stored.T
    error = np.abs(got - ref).max()
    assert error < 0.005  # measured 0.0014: the scale of a near-tie bf16 may reorder
    # Every query whose torch winner leads by more than twice that agrees. Measured (AMX):
    # 172 of 180 lead by more, and all 180 agree (torch autocast bf16 flipped 2).
    top2 = np.sort(ref, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * error
    agree = got.argmax(axis=1) == ref.argmax(axis=1)
    print(f"score error {error:.4f}; clear {clear.sum()} of {len(clear)}; agree {agree.mean()}")
    assert clear.mean() >= 0.9
    assert agree[clear].all()
    assert agree.mean() >= 0.99  # the bar for a faster backend


def test_bf16_never_imports_torch():
    # A fresh process: this one has torch loaded already by the test above.
    code = ("import sys; from pattern_pivot.retrieval.embeddings import SentenceEmbedder; "
            "e = SentenceEmbedder(backend='bf16'); v = e.encode(['a loaf of bread'] * 3); "
            "print(v.shape, e.dimension, e._openvino.precision, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[:2] == ["(3,", "384)"] and out[2] == "384"
    assert out[3] in ("bf16", "f32")  # f32 where the CPU has no native bf16
    assert out[4] == "False"


def test_the_native_bf16_check_reads_cpu_flags():
    assert embeddings._native_bf16_in("flags\t: fpu sse2 avx512f amx_bf16 amx_tile\n")
    assert embeddings._native_bf16_in("flags\t: fpu avx512f avx512_bf16\n")
    assert not embeddings._native_bf16_in("flags\t: fpu sse2 avx2 avx512f avx512_vnni\n")
    assert not embeddings._native_bf16_in("processor\t: 0\n")  # no flags line (not x86)


@pytest.mark.parametrize("native", [True, False])
def test_auto_runs_bf16_only_for_bulk_encodes_on_a_native_bf16_cpu(monkeypatch, native):
    monkeypatch.setattr(embeddings, "cpu_has_native_bf16", lambda: native)
    auto = SentenceEmbedder(batch_size=64)
    bulk = "bf16" if native else "onnx"
    assert auto.backend_for(1) == "onnx"  # a query never pays torch's import
    assert auto.backend_for(BULK_TEXTS - 1) == "onnx"
    assert auto.backend_for(BULK_TEXTS) == bulk
    # An explicit choice is kept whatever the CPU.
    assert SentenceEmbedder(backend="onnx").backend_for(10_000) == "onnx"
    assert SentenceEmbedder(backend="bf16").backend_for(1) == "bf16"


def test_progress_reports_every_part_on_one_backend(monkeypatch):
    monkeypatch.setattr(embeddings, "cpu_has_native_bf16", lambda: False)
    seen = []
    texts = [f"sentence number {i} about bread" for i in range(10)]
    vectors = SentenceEmbedder(batch_size=4).encode(texts, progress=lambda d, t: seen.append(d))
    assert seen == [4, 8, 10]
    assert np.allclose(vectors, SentenceEmbedder(backend="onnx").encode(texts), atol=1e-6)


def test_torch_threads_sleep_when_idle_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    embeddings.prefer_sleeping_openmp_threads()
    assert embeddings.os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    embeddings.prefer_sleeping_openmp_threads()
    assert embeddings.os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
