"""Build the fp32 ONNX export of the bundled all-MiniLM-L6-v2, once, into the model cache.

Why an export of our own: no package ships one, and the torch path costs ~30 s of imports
per process. The recipe: ``torch.onnx.export`` of the transformer (eager attention, so
onnxruntime's optimizer can fuse it) and the optimizer's BERT fusions (attention, GELU,
LayerNorm), all fp32: it computes the torch model's function, its vectors equal torch's to
float rounding (cosine >= 0.99999) and its top-1 hits are torch's. Why not int8: measured
(issue 16), every int8 variant reordered near-ties. Quantising all MatMuls, the attention
and the embeddings gave 95-97% top-1 agreement and only 65% when picking among 2,000
similar chunks; keeping the FFN down-projections, or the first and last layers, in fp32 still
gave 91-98% while losing most of the speed. Float results differ between CPUs only in
summation order (as torch's do), so no CPU-specific kernel can change a ranking. The fast
bulk path is bf16 instead (``onnx_embedder``: this export on OpenVINO on CPUs with native
bf16, cosine 0.99998 and torch's top-1 hits; onnxruntime has no bf16 matmul kernels for x86).

What is pinned: an export is not bit-reproducible across machines or library versions, so
its *inputs* are pinned (the bundled model's SHA-256s, checked by ``bundled_models``) and
the export's own SHA-256 is written to ``manifest.json`` when it is built and checked every
time it is loaded (``onnx_embedder``). Building needs torch and onnx (setup time only).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from pattern_pivot import bundled_models
from pattern_pivot.hashing import file_sha256
from pattern_pivot.settings import user_cache_dir

log = logging.getLogger(__name__)

SOURCE_MODEL = "all-MiniLM-L6-v2"
# Bump when the recipe below changes: the cache folder is keyed by it, so a new recipe
# builds afresh instead of loading an export made another way.
RECIPE = "onnx-fp32-fused-v1"
MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of the bundled model
MODEL_FILE, TOKENIZER_FILE, MANIFEST_FILE = "model.onnx", "tokenizer.json", "manifest.json"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_dir(cache_dir: Path | None = None) -> Path:
    """Where the export of the pinned source model by the current recipe lives."""
    source = bundled_models.MODELS[SOURCE_MODEL]
    return ((cache_dir or user_cache_dir()) / "models"
            / f"{SOURCE_MODEL}-{RECIPE}-{source.files[0].sha256[:12]}")


def pinned_source_hashes() -> dict[str, str]:
    return {f.name: f.sha256 for f in bundled_models.MODELS[SOURCE_MODEL].files}


def _export_fp32(source: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # Eager attention traces to the MatMul/Softmax pattern the optimizer fuses into one op.
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "token_embeddings")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and legacy-exporter notices: not actionable
        torch.onnx.export(TokenEmbeddings(model), (ids, ids, torch.zeros_like(ids)), str(out),
                          dynamo=False, input_names=list(_INPUTS),
                          output_names=["token_embeddings"], dynamic_axes=axes,
                          opset_version=17, do_constant_folding=True)


def _fuse(fp32: Path, out: Path, config: dict) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    optimize_model(str(fp32), model_type="bert", num_heads=config["num_attention_heads"],
                   hidden_size=config["hidden_size"], opt_level=1).save_model_to_file(str(out))


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")}


def build(cache_dir: Path | None = None) -> Path:
    """Build the export (about 20 s) unless it is there; return its folder. Built in a
    staging folder and renamed into place, so a half-built export is never loaded."""
    target = export_dir(cache_dir)
    if (target / MANIFEST_FILE).is_file():
        return target
    source = bundled_models.model_dir(SOURCE_MODEL, cache_dir)  # verified against its pins
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        log.info("building the ONNX export of %s (once, ~20 s) ...", SOURCE_MODEL)
        config = json.loads((source / "config.json").read_text(encoding="utf-8"))
        _export_fp32(source, staging / "fp32.onnx")
        log.info("exported to ONNX; fusing attention, GELU and LayerNorm ...")
        _fuse(staging / "fp32.onnx", staging / MODEL_FILE, config)
        (staging / "fp32.onnx").unlink(missing_ok=True)
        shutil.copyfile(source / TOKENIZER_FILE, staging / TOKENIZER_FILE)
        manifest = {
            "source_model": SOURCE_MODEL, "recipe": RECIPE,
            "source_sha256": pinned_source_hashes(),
            "model_sha256": file_sha256(staging / MODEL_FILE),
            "dimension": int(config["hidden_size"]), "max_seq_length": MAX_SEQ_LENGTH,
            "built_with": _versions(),
        }
        # The manifest is written last: its presence marks a complete export.
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / MANIFEST_FILE).is_file():  # not just another process's build
                raise
        log.info("ONNX export ready: %s", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
