"""Script benchmark: the extractive writer (the default) against the bundled local LLM, on
one rubric and on wall time, for narrated remixes of the sample channel's catalog.

The rubric (pattern_pivot/remix/script_check.py plus what a listener notices) per script:
complete sentences, no repeated line, ends on a statement, spoken length within +-25% of
the target, every line cited, share of lines that stand on their own, and whether the lines
are the sources' own words (a model can invent; the extractive writer cannot).
Wall time: the plan stage (retrieval + writing) for each writer, and their ratio. The render
stage after it is the same for both, so a whole remix costs the render time on top
(benchmarks/render_benchmark.py).

    .venv/bin/python benchmarks/script_benchmark.py                 # 3 topics, 30 s, Qwen 0.5B
    .venv/bin/python benchmarks/script_benchmark.py --no-llm        # the extractive writer only
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pattern_pivot.llm.chain import writer_chain  # noqa: E402
from pattern_pivot.llm.local_server import LocalLLMServer  # noqa: E402
from pattern_pivot.remix.pipeline import RemixContext, plan_remix  # noqa: E402
from pattern_pivot.remix.request import parse_request  # noqa: E402
from pattern_pivot.remix.script_check import check_script  # noqa: E402
from pattern_pivot.remix.spans import store_transcripts  # noqa: E402
from pattern_pivot.remix.writers import FallbackWriter  # noqa: E402
from pattern_pivot.remix.writers.sentences import stands_alone, tokens  # noqa: E402
from pattern_pivot.retrieval.embeddings import SentenceEmbedder  # noqa: E402
from tests.remix_support import build_catalog  # noqa: E402

TOPICS = ["how much energy solar panels and batteries give", "feeding a sourdough starter",
          "watering houseplants"]
PACE = 3.5  # words a second: the bundled Piper voice with its pauses (pattern_pivot.tts.pace)


def rubric(script, target: float, source_text: str) -> dict:
    findings = {f.name: f.passed for f in check_script(script, target, PACE)}
    lines = [line.text for line in script.lines]
    own = sum(" ".join(tokens(line)) in source_text for line in lines)
    findings["cited"] = all(line.sources for line in script.lines)
    score = sum(findings.values()) / len(findings)
    return {**findings, "standalone_share": round(sum(map(stands_alone, lines)) / len(lines), 2),
            "own_words_share": round(own / len(lines), 2), "score": round(score, 2),
            "lines": len(lines)}


def run(label: str, ctx: RemixContext, length: float) -> list[dict]:
    rows = []
    for topic in TOPICS:
        # The sample catalog holds less than 30 s of clean footage on some topics: both
        # writers get the same (shorter) material rather than a refusal.
        request = parse_request({"topic": topic, "mode": "narrated", "length": length,
                                 "allow_shorter": True})
        started = time.perf_counter()
        [plan] = plan_remix(request, ctx)
        seconds = time.perf_counter() - started
        sources = " ".join(" ".join(tokens(w.text)) for s in plan.script.lines
                           for src in s.sources
                           for w in getattr(ctx.transcripts(src.video_id), "words", ()))
        row = {"writer": plan.script.writer, "topic": topic, "seconds": round(seconds, 1),
               **rubric(plan.script, length, sources)}
        rows.append(row)
        print(f"{label:10} {row['writer']:28} {seconds:6.1f} s  score {row['score']:.2f}  "
              f"standalone {row['standalone_share']:.2f}  own words {row['own_words_share']:.2f}"
              f"  {topic}")
        for line in plan.script.lines:
            print(f"{'':14}[{line.role}] {line.text}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=float, default=30.0)
    parser.add_argument("--model", default="qwen2.5-0.5b-instruct",
                        help="the local GGUF (a bundled name or a path)")
    parser.add_argument("--no-llm", action="store_true")
    args = parser.parse_args()
    embedder = SentenceEmbedder()
    world = build_catalog(Path(tempfile.mkdtemp(prefix="pp-scripts-")), embedder)

    def context(writer) -> RemixContext:
        return RemixContext(media=world.media, embedder=embedder, vectors=world.vectors,
                            writer=writer, transcripts=store_transcripts(world.media),
                            words_per_second=PACE)

    extractive = run("extractive", context(FallbackWriter([])), args.length)
    if args.no_llm:
        return
    with LocalLLMServer(args.model) as server:
        local = run("local", context(writer_chain([], server)), args.length)
    ext_s = sum(r["seconds"] for r in extractive)
    llm_s = sum(r["seconds"] for r in local)
    print(f"\nplan wall time: extractive {ext_s:.1f} s, local LLM {llm_s:.1f} s "
          f"(ratio {llm_s / max(ext_s, 1e-6):.1f}x)")
    for name, rows in (("extractive", extractive), ("local LLM", local)):
        print(f"rubric {name:10}: mean score {sum(r['score'] for r in rows) / len(rows):.2f}, "
              f"standalone {sum(r['standalone_share'] for r in rows) / len(rows):.2f}, "
              f"own words {sum(r['own_words_share'] for r in rows) / len(rows):.2f}, "
              f"fell back {sum(r['writer'] == 'extractive' for r in rows)}/{len(rows)}")


if __name__ == "__main__":
    main()
