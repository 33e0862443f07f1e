"""The deck: one self-contained HTML file (styles inlined from a theme file, no network),
whose ``showAt(seconds)`` shows the slide of that media time. A player calls it from its
clock; the recorder calls it for each frame it takes."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Sequence

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.present.slides import Slide

DEFAULT_THEME = Path(__file__).with_name("themes") / "default.css"
# Each slide's accent (its bar): distinct, so a frame shows which slide is on screen.
ACCENTS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
           "#bfef45", "#fabed4", "#469990")


def accent(index: int) -> str:
    return ACCENTS[(index - 1) % len(ACCENTS)]


_SCRIPT = """
const TIMES = %s;
function showAt(t) {
  let current = 0;
  for (let i = 0; i < TIMES.length; i++) if (t >= TIMES[i]) current = i;
  document.querySelectorAll('.slide')
    .forEach((s, i) => s.classList.toggle('active', i === current));
  return current + 1;
}
// Opened in a browser, the deck follows a clock from load; the recorder stops it
// (stopClock) and steps showAt itself, frame-exact.
const t0 = performance.now();
showAt(0);
const clock = setInterval(() => showAt((performance.now() - t0) / 1000), 100);
function stopClock() { clearInterval(clock); }
"""


def build_deck(slides: Sequence[Slide], title: str, theme: Path | None = None) -> str:
    theme = Path(theme) if theme else DEFAULT_THEME
    try:
        css = theme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PatternPivotError(str(theme), f"cannot be read as a CSS theme ({exc})",
                                "give a UTF-8 .css file, or leave --theme out") from exc
    parts = []
    for s in slides:
        items = "".join(f"<li>{html.escape(b)}</li>" for b in s.bullets)
        parts.append(f'<section class="slide" data-start="{s.start}" '
                     f'style="--accent:{accent(s.index)}"><div class="bar"></div>'
                     f"<h1>{html.escape(s.title)}</h1><ul>{items}</ul>"
                     f'<div class="count">{s.index}/{len(slides)}</div></section>')
    times = json.dumps([s.start for s in slides])
    css = css.replace("</", "<\\/")  # a theme cannot close the style element early
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{css}</style></head><body>"
            f"{''.join(parts)}<script>{_SCRIPT % times}</script></body></html>")
