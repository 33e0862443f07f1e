"""What a finished remix request produced, as plain data (for the CLI's --json and the UI)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pattern_pivot.media.store import MediaStore
from pattern_pivot.remix.request import RemixRequest
from pattern_pivot.remix.types import PLAN_ASSET, EditPlan, Script, Shot, variant_name
from pattern_pivot.render.stage import RenderedVariant, rendered_outputs


def _span(span) -> dict:
    return {"video_id": span.video_id, "start": span.start, "end": span.end, "text": span.text}


def _shot(shot: Shot) -> dict:
    data = {"kind": shot.kind, "role": shot.role, "duration": shot.duration}
    if shot.span is not None:
        data["source"] = _span(shot.span)
        data["source_audio"] = shot.source_audio
    for key in ("image", "text", "narration"):
        if getattr(shot, key):
            data[key] = getattr(shot, key)
    return data


def _script(script: Script) -> dict:
    return {"title": script.title, "writer": script.writer, "text": script.text,
            "lines": [{"role": line.role, "text": line.text,
                       "sources": [_span(s) for s in line.sources]} for line in script.lines],
            "providers_tried": script.meta.get("providers_tried", [])}


def _outputs(media: MediaStore, request_id: str, variant: int,
             rendered: RenderedVariant | None) -> dict:
    """The files of one variant: its plan, the supercut audio, the rendered MP4 and poster
    (local paths: an S3 store's mirror copies, fetched here)."""
    name = variant_name(variant)
    plan = media.path(PLAN_ASSET, request_id, name + ".json")
    has_audio = f"{name}.m4a" in media.names(PLAN_ASSET, request_id)
    audio = media.path(PLAN_ASSET, request_id, f"{name}.m4a") if has_audio else None
    return {"plan": str(plan), "audio": str(audio) if audio else None,
            "video": str(rendered.path) if rendered else None,
            "poster": str(rendered.poster) if rendered and rendered.poster else None}


def _quality(rendered: RenderedVariant | None) -> dict | None:
    """The rendered video's quality checks: whether all passed, each check's result, what
    failed, and what each measured (with its threshold), so a rejected video can be fixed."""
    if rendered is None or not rendered.checks:
        return None
    return {"passed": rendered.passed,
            "checks": {c.name: c.passed for c in rendered.checks},
            "failed": {c.name: c.description for c in rendered.checks if not c.passed},
            "measured": {c.name: c.metadata for c in rendered.checks}}


def summary(request: RemixRequest, media: MediaStore) -> dict:
    rendered = {v.variant: v for v in rendered_outputs(media, request.request_id)}
    variants = []
    for n in range(1, request.variants + 1):
        files = _outputs(media, request.request_id, n, rendered.get(n))
        plan = EditPlan.model_validate_json(Path(files["plan"]).read_text(encoding="utf-8"))
        variants.append({"variant": n, "title": plan.title, "duration": round(plan.duration, 2),
                         "script": _script(plan.script) if plan.script else None,
                         "shots": [_shot(s) for s in plan.shots], "outputs": files,
                         "quality": _quality(rendered.get(n))})
    return {"request_id": request.request_id, "request": request.model_dump(),
            "variants": variants}


def plan_markdown(plan: EditPlan, titles: Mapping[str, str] | None = None) -> str:
    """A plan for the UI: the script (when there is one) or the cuts, with sources cited by
    title and time (id beside it) when ``titles`` maps video ids to titles."""
    from pattern_pivot.remix.writers.base import cite, script_markdown

    head = f"**variant {plan.variant}** · {plan.mode} · {plan.aspect} · {plan.duration:.1f}s " \
           f"(target {plan.target_seconds:g}s)"
    if plan.script is not None:
        body = script_markdown(plan.script, titles)
    else:
        rows, t = [], 0.0
        for shot in plan.shots:
            s = shot.span
            rows.append(f"- **{shot.role}** `{t:5.1f}s` {cite(s.video_id, s.start, s.end, titles)}"
                        f" — {s.text}")
            t += shot.duration
        body = "\n".join(rows)
    visuals = ", ".join(f"{s.kind}" for s in plan.shots)
    return f"{head}\n\n{body}\n\n_shots: {visuals}_"
