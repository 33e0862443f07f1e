"""all-MiniLM-L6-v2's ONNX export: tokenizers + the fp32 export + numpy, no torch.

It computes what sentence-transformers does for this model (modules.json: Transformer,
mean Pooling, Normalize): word pieces truncated at 256, token embeddings, their mean over the
attention mask, L2-normalised. Two runtimes run the same verified export:

* ``onnxruntime`` in fp32: loads in well under a second, which is what makes a one-shot
  ``pattern-pivot search`` fast; its vectors equal torch's to float rounding.
* ``openvino`` with bf16 inference precision: on a CPU with native bf16 (AMX or AVX512-BF16)
  OpenVINO runs the matrix products in bf16 and keeps normalisation and softmax in fp32;
  ~3.4x torch fp32's chunks per CPU-second at cosine >= 0.99998. A CPU without native bf16
  runs it in fp32 (``precision`` says which).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pattern_pivot.errors import ModelError
from pattern_pivot.hashing import file_sha256
from pattern_pivot.retrieval import onnx_export


def verified_export(cache_dir: Path | None = None) -> tuple[Path, dict]:
    """The export's folder and manifest, built on first use and checked on every load."""
    folder = onnx_export.build(cache_dir)
    fix = f"delete {folder} and run `pattern-pivot models prepare`"
    try:
        manifest = json.loads((folder / onnx_export.MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{folder / onnx_export.MANIFEST_FILE}", f"cannot be read ({exc})",
                         fix) from exc
    if manifest.get("source_sha256") != onnx_export.pinned_source_hashes():
        raise ModelError(f"ONNX export {folder}", "was built from other model files than the "
                         "pinned all-MiniLM-L6-v2", fix)
    actual = file_sha256(folder / onnx_export.MODEL_FILE)
    if actual != manifest.get("model_sha256"):
        raise ModelError(f"{folder / onnx_export.MODEL_FILE}",
                         f"has SHA-256 {actual}, not the {manifest.get('model_sha256')} "
                         "recorded when it was built (changed or damaged since)", fix)
    tokenizer_sha = manifest["source_sha256"][onnx_export.TOKENIZER_FILE]
    if file_sha256(folder / onnx_export.TOKENIZER_FILE) != tokenizer_sha:
        raise ModelError(f"{folder / onnx_export.TOKENIZER_FILE}",
                         "does not match the pinned tokenizer", fix)
    return folder, manifest


class OnnxMiniLM:
    """Unit-length 384-d vectors for texts, in batches of similar length."""

    def __init__(self, cache_dir: Path | None = None, *, batch_size: int = 64,
                 runtime: str = "onnxruntime"):
        from tokenizers import Tokenizer

        folder, manifest = verified_export(cache_dir)
        self.dimension = int(manifest["dimension"])
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(folder / onnx_export.TOKENIZER_FILE))
        # The shipped tokenizer.json pads every text to 128 and truncates there;
        # sentence-transformers reads 256 word pieces and pads to the longest in the batch.
        self._tokenizer.enable_truncation(int(manifest["max_seq_length"]))
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        model = folder / onnx_export.MODEL_FILE
        if runtime == "openvino":
            self._run, self._inputs, self.precision = _openvino_runner(model)
        elif runtime == "onnxruntime":
            self._run, self._inputs, self.precision = _onnxruntime_runner(model)
        else:
            raise ValueError(f"unknown runtime {runtime!r}: onnxruntime or openvino")

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Longest first, as sentence-transformers batches: little padding per batch.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for lo in range(0, len(order), self.batch_size):
            rows = order[lo:lo + self.batch_size]
            encoded = self._tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask,
                    "token_type_ids": np.zeros_like(ids)}
            tokens = self._run({k: v for k, v in feed.items() if k in self._inputs})
            # Pooled and normalised in fp32 whatever the runtime's precision.
            weights = mask[..., None].astype(np.float32)
            tokens = np.asarray(tokens, dtype=np.float32)
            pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[rows] = pooled / norms
        return out


def _onnxruntime_runner(model: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # the fused contrib ops' notices are not actionable
    # Idle threads spin-waiting between ops burn the cores other work needs: measured on
    # 2 shared cores, turning it off embeds ~25% more chunks per CPU-second, no slower.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    inputs = {i.name for i in session.get_inputs()}
    return (lambda feed: session.run(None, feed)[0]), inputs, "f32"


def _openvino_runner(model: Path):
    # The C++ core only: OpenVINO's telemetry lives in its Python model-conversion tools,
    # which this never calls. Compiling the export takes ~0.3 s.
    import openvino

    compiled = openvino.Core().compile_model(
        str(model), "CPU", {"INFERENCE_PRECISION_HINT": "bf16", "PERFORMANCE_HINT": "LATENCY"})
    request = compiled.create_infer_request()
    inputs = {name for port in compiled.inputs for name in port.get_names()}
    # What the CPU plugin chose: bf16 where the CPU has it natively, f32 elsewhere.
    precision = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    return (lambda feed: request.infer(feed)[0]), inputs, precision
