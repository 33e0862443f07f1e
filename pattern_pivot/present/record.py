"""Record the deck in headless Chromium (Debian's, driven by Playwright: no browser
download) and lay it beside the speaker in one ffmpeg pass.

Frame-exact without real-time capture: the deck only changes at slide starts, so the
recorder steps its clock to each start (``showAt``), takes one screenshot, and ffmpeg's
concat demuxer holds each for exactly its slide's duration."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from pattern_pivot.errors import ToolMissingError
from pattern_pivot.media.ffmpeg import run_ffmpeg
from pattern_pivot.present.slides import Slide
from pattern_pivot.reframe import frame_video
from pattern_pivot.reframe.filters import plan_filters

log = logging.getLogger(__name__)

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def system_chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise ToolMissingError("chromium", "Debian's chromium is not installed",
                               "install it: apt-get install chromium")
    return path


def screenshot_slides(deck_html: str, slides: Sequence[Slide], size: tuple[int, int],
                      folder: Path) -> list[Path]:
    """One PNG per slide, as the deck shows it at the slide's start."""
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=system_chromium(), headless=True,
                                     args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.set_content(deck_html, wait_until="load")
            page.evaluate("stopClock()")
            for s in slides:
                shown = page.evaluate(f"showAt({s.start + 0.001})")
                assert shown == s.index, (shown, s.index)
                path = folder / f"slide-{s.index:03d}.png"
                page.screenshot(path=str(path))
                shots.append(path)
        finally:
            browser.close()
    log.info("recorded %d slides at %dx%d", len(shots), *size)
    return shots


def composite(source: Path, shots: Sequence[Path], slides: Sequence[Slide], out: Path,
              size: tuple[int, int], fps: int = 30, framing: str = "auto") -> Path:
    """Deck on the left half, the speaker on the right half framed by the reframing stage
    (``auto`` follows the face; ``center`` crops the middle, ``fit`` shows it whole), the
    source's sound; one encode, written to ``out``."""
    width, height = size
    half = width // 2 // 2 * 2
    total = slides[-1].end
    plan = frame_video(Path(source), (width - half, height), framing, 0.0, total)
    speaker = plan_filters(plan, "tin", "tout", fps, 0.0, tag="p")
    with tempfile.TemporaryDirectory(prefix="pp-present-") as tmp:
        listing = Path(tmp) / "deck.txt"
        lines = []
        for shot, s in zip(shots, slides):
            lines += [f"file '{shot.resolve()}'", f"duration {s.end - s.start:.3f}"]
        lines.append(f"file '{shots[-1].resolve()}'")  # the demuxer's last entry has no time
        listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
        graph = ";".join([f"[0:v]fps={fps},scale={half}:{height},setsar=1,format=yuv420p"
                          "[deck]", f"[1:v]fps={fps}[tin]", *speaker,
                          "[tout]setsar=1,format=yuv420p[talk]",
                          "[deck][talk]hstack=inputs=2[v]"])
        run_ffmpeg(["-f", "concat", "-safe", "0", "-i", listing, "-i", Path(source).resolve(),
                    "-filter_complex", graph, "-map", "[v]", "-map", "1:a?",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                    "-pix_fmt", "yuv420p", "-r", str(fps), "-c:a", "aac", "-b:a", "128k",
                    "-t", f"{total:.3f}", "-movflags", "+faststart", "-f", "mp4",
                    Path(out).resolve()],
                   subject=source, fix="check that ffmpeg was built with libx264 and aac")
    return out
