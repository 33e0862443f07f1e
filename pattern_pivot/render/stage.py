"""The compose stages for one remix request: narration per variant, then the rendered,
checked video per variant. Like the ingest stages they read inputs from the media store,
write outputs atomically, and skip work whose inputs have not changed (a fingerprint).

Layout: ``remix_plan/<request>/variant-<n>.json`` (written by the remix stage) ->
``remix_narration/<request>/variant-<n>.wav`` + ``.words.json`` ->
``remix_video/<request>/variant-<n>.mp4`` + ``.jpg`` poster, ``.webp`` animated preview,
``.captions.json`` and ``.checks.json`` (the quality outcomes).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.hashing import inputs_digest
from pattern_pivot.media.preview import write_animated_preview
from pattern_pivot.media.store import MediaStore, as_store
from pattern_pivot.quality.checks import (
    CheckOutcome,
    Expectations,
    read_outcomes,
    run_checks,
    write_outcomes,
)
from pattern_pivot.remix.types import PLAN_ASSET, EditPlan, variant_name
from pattern_pivot.render.captions import caption_band, write_captions_json
from pattern_pivot.render.engine import RenderOptions, RenderResult, render_plan, write_poster
from pattern_pivot.render.sources import SourceResolver
from pattern_pivot.render.timeline import narration_cues
from pattern_pivot.transcription.types import Transcriber
from pattern_pivot.tts.engines import SpeechEngine, TTSConfig
from pattern_pivot.tts.narrate import NarrationResult, narrate

NARRATION_ASSET, VIDEO_ASSET = "remix_narration", "remix_video"
_VERSION = "compose-v4"  # bump when rendering changes what the same inputs produce
_VARIANT_FILE = re.compile(r"^variant-(\d+)\.json$")
_RENDERED_FILE = re.compile(r"^variant-(\d+)\.mp4$")


@dataclass(frozen=True)
class StoredPlan:
    plan: EditPlan
    path: Path
    fingerprint: str


def load_plans(store: MediaStore, request_id: str) -> list[StoredPlan]:
    """Every variant's plan for ``request_id``, in variant order."""
    # names() lists the store itself (a local folder or an S3 prefix), not a local mirror.
    files = sorted((int(m.group(1)), store.path(PLAN_ASSET, request_id, name))
                   for name in store.names(PLAN_ASSET, request_id)
                   if (m := _VARIANT_FILE.match(name)))
    if not files:
        folder = store.path(PLAN_ASSET, request_id, "plan").parent
        raise PatternPivotError(str(folder), "holds no edit plans (variant-<n>.json)",
                                f"materialise remix_plan for partition {request_id} first")
    plans = []
    for _, path in files:
        text = path.read_text(encoding="utf-8")
        try:
            plan = EditPlan.model_validate_json(text)
        except ValueError as exc:
            raise PatternPivotError(str(path), f"is not a valid edit plan ({exc})",
                                    f"re-run remix_plan for partition {request_id}") from exc
        plans.append(StoredPlan(plan, path, inputs_digest(text)))
    return plans


def tts_fingerprint(config: TTSConfig) -> str:
    return inputs_digest(json.dumps(asdict(config), sort_keys=True))


def narration_names(plan: EditPlan) -> tuple[str, str]:
    name = variant_name(plan.variant)
    return f"{name}.wav", f"{name}.words.json"


@dataclass(frozen=True)
class NarrationOutput:
    narration: NarrationResult
    fingerprint: str
    cached: bool


def store_narration(store: MediaStore, stored: StoredPlan, config: TTSConfig,
                    engine: Callable[[], SpeechEngine],
                    transcriber: Callable[[], Transcriber] | None = None
                    ) -> NarrationOutput | None:
    """Speak a variant's narration; None when the plan has nothing to say (supercut)."""
    plan = stored.plan
    cues = narration_cues(plan)
    if not cues:
        return None
    wav_name, words_name = narration_names(plan)
    fingerprint = inputs_digest(stored.fingerprint, tts_fingerprint(config), _VERSION)
    request = plan.request_id
    if (store.is_current(NARRATION_ASSET, request, wav_name, fingerprint)
            and store.is_current(NARRATION_ASSET, request, words_name, fingerprint)):
        return NarrationOutput(NarrationResult.read(
            store.path(NARRATION_ASSET, request, wav_name),
            store.path(NARRATION_ASSET, request, words_name)), fingerprint, True)
    with store.atomic_write(NARRATION_ASSET, request, wav_name, fingerprint) as tmp:
        result = narrate(engine(), cues, tmp, config,
                         transcriber() if transcriber and config.align == "asr" else None)
    final = replace(result, wav_path=store.path(NARRATION_ASSET, request, wav_name))
    with store.atomic_write(NARRATION_ASSET, request, words_name, fingerprint) as tmp:
        final.write_json(tmp)
    return NarrationOutput(final, fingerprint, False)


def stored_narration(store: MediaStore, plan: EditPlan) -> NarrationResult | None:
    """The narration written by ``store_narration`` (None when the plan needs none)."""
    if not narration_cues(plan):
        return None
    wav_name, words_name = narration_names(plan)
    wav = store.path(NARRATION_ASSET, plan.request_id, wav_name)
    words = store.path(NARRATION_ASSET, plan.request_id, words_name)
    if not wav.is_file() or not words.is_file():
        raise PatternPivotError(str(wav), "does not exist yet",
                                f"materialise remix_narration for partition {plan.request_id}"
                                " first")
    return NarrationResult.read(wav, words)


def _marker(path: Path) -> str:
    marker = path.with_name(path.name + ".inputs")
    return marker.read_text(encoding="utf-8").strip() if marker.is_file() else str(
        path.stat().st_mtime_ns)


@dataclass(frozen=True)
class VideoOutput:
    variant: int
    path: Path
    poster: Path
    preview: Path
    captions: Path
    checks: tuple[CheckOutcome, ...]
    fingerprint: str
    cached: bool
    result: RenderResult | None = None  # None when cached

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def video_names(variant: int) -> dict[str, str]:
    name = variant_name(variant)
    return {"video": f"{name}.mp4", "poster": f"{name}.jpg", "preview": f"{name}.webp",
            "captions": f"{name}.captions.json", "checks": f"{name}.checks.json"}


def expectations(plan: EditPlan, options: RenderOptions, captions,
                 shot_seconds: tuple[float, ...] = ()) -> Expectations:
    width, height = options.frame_size or plan.frame_size
    return Expectations(width=width, height=height, target_seconds=plan.target_seconds,
                        shot_seconds=tuple(shot_seconds),
                        duration_tolerance=options.duration_tolerance,
                        loudness_lufs=options.loudness_lufs, captions=tuple(captions),
                        min_caption_coverage=options.min_caption_coverage,
                        caption_band=caption_band(width, height, options.caption_style))


def store_video(store: MediaStore, stored: StoredPlan, sources: SourceResolver,
                narration: NarrationResult | None, options: RenderOptions,
                progress: Callable[[float, float, int, int], None] | None = None
                ) -> VideoOutput:
    """Render, poster and check one variant (skipped when nothing changed); ``progress``
    as ``render_plan`` takes it."""
    plan = stored.plan
    names = video_names(plan.variant)
    # The narration's own fingerprint marker changes whenever it is re-spoken.
    narration_fp = (_marker(narration.wav_path) if narration else "-")
    fingerprint = inputs_digest(stored.fingerprint, narration_fp, repr(options), _VERSION)
    request = plan.request_id
    paths = {k: store.path(VIDEO_ASSET, request, v) for k, v in names.items()}
    if all(store.is_current(VIDEO_ASSET, request, v, fingerprint) for v in names.values()):
        return VideoOutput(plan.variant, paths["video"], paths["poster"], paths["preview"],
                           paths["captions"], tuple(read_outcomes(paths["checks"])),
                           fingerprint, True)
    with store.atomic_write(VIDEO_ASSET, request, names["video"], fingerprint) as tmp:
        result = render_plan(plan, tmp, sources, narration, options, progress)
        outcomes = run_checks(tmp, expectations(plan, options, result.words,
                                                   result.shot_seconds))
        write_pictures(store, VIDEO_ASSET, request, names, fingerprint, tmp, result.duration)
    with store.atomic_write(VIDEO_ASSET, request, names["captions"], fingerprint) as tmp:
        write_captions_json(list(result.words), tmp)
    with store.atomic_write(VIDEO_ASSET, request, names["checks"], fingerprint) as tmp:
        write_outcomes(outcomes, tmp)
    return VideoOutput(plan.variant, paths["video"], paths["poster"], paths["preview"],
                       paths["captions"], tuple(outcomes), fingerprint, False, result)


def write_pictures(store: MediaStore, asset: str, partition: str, names: dict[str, str],
                   fingerprint: str, video: Path, duration: float) -> None:
    """A rendered output's poster (a frame past the first cut) and its animated preview
    (the opening seconds, where the hook is), for the UI."""
    with store.atomic_write(asset, partition, names["poster"], fingerprint) as poster:
        write_poster(video, poster, min(1.5, duration / 3))
    with store.atomic_write(asset, partition, names["preview"], fingerprint) as preview:
        write_animated_preview(video, preview, 0.0, subject=str(video),
                               fix="the rendered video could not be decoded: render it again")


@dataclass(frozen=True)
class RenderedVariant:
    variant: int
    path: Path
    poster: Path | None
    checks: tuple[CheckOutcome, ...]

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)


def rendered_outputs(media: MediaStore | Path, request_id: str) -> list[RenderedVariant]:
    """The rendered videos of a request and their check results, read through the store
    (an S3 store fetches each into its local mirror)."""
    store = as_store(media)
    stored = set(store.names(VIDEO_ASSET, request_id))
    found = []
    for name in sorted(stored):
        match = _RENDERED_FILE.match(name)
        if not match:
            continue
        variant = int(match.group(1))
        names = video_names(variant)
        checks = store.path(VIDEO_ASSET, request_id, names["checks"]) \
            if names["checks"] in stored else None
        poster = store.path(VIDEO_ASSET, request_id, names["poster"]) \
            if names["poster"] in stored else None
        found.append(RenderedVariant(variant, store.path(VIDEO_ASSET, request_id, name), poster,
                                     tuple(read_outcomes(checks)) if checks else ()))
    return sorted(found, key=lambda v: v.variant)
