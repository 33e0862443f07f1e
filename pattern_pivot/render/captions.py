"""Word-level captions as an ASS subtitle file, burned in by ffmpeg's ``ass`` filter.

Words are grouped into short lines (a few words, broken at pauses and sentence ends); each
word gets its own event showing its whole line with the current word highlighted, so the
highlight moves word by word with the voice.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from pattern_pivot.quality.caption_pixels import CaptionBand
from pattern_pivot.transcription.types import Word

FONT = "DejaVu Sans"
MAX_WORDS = 4
MAX_CHARS = 22
BREAK_GAP = 0.6  # a pause this long starts a new line
HOLD = 0.4  # seconds a line stays after its last word


@dataclass(frozen=True)
class CaptionStyle:
    font: str = FONT
    size_ratio: float = 0.045  # font size as a fraction of the frame height
    bottom_ratio: float = 0.22  # distance of the baseline from the bottom (clear of app UI)
    colour: str = "FFFFFF"  # RRGGBB
    highlight: str = "FFD400"
    outline: float = 0.004  # outline width as a fraction of the frame height


def _ass_colour(rgb: str) -> str:
    return f"&H00{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".upper()


def _time(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    return f"{hours}:{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def _escape(text: str) -> str:
    # Braces start override blocks and a backslash starts a tag: neither may come from text.
    return text.replace("\\", "/").replace("{", "(").replace("}", ")").replace("\n", " ")


def _cut_between(cuts: Sequence[float], a: float, b: float) -> bool:
    return any(a < t <= b for t in cuts)


def group_lines(words: list[Word], cuts: Sequence[float] = ()) -> list[list[Word]]:
    """Words into caption lines: a few words each, broken at sentence ends, pauses and cuts
    (a line never runs across a cut: the words on each side belong to different shots)."""
    lines: list[list[Word]] = []
    for word in words:
        current = lines[-1] if lines else None
        if (current is None or len(current) >= MAX_WORDS
                or word.start - current[-1].end > BREAK_GAP
                or current[-1].text.endswith((".", "!", "?"))
                or _cut_between(cuts, current[-1].start, word.start)
                or sum(len(w.text) + 1 for w in current) + len(word.text) > MAX_CHARS):
            lines.append([word])
        else:
            current.append(word)
    return lines


def caption_events(words: list[Word], cuts: Sequence[float] = ()
                   ) -> list[tuple[float, float, list[Word], int]]:
    """(start, end, line words, index of the highlighted word) per caption event; a line is
    held a moment after its last word, but never past the next line or the next cut."""
    events = []
    lines = group_lines(sorted(words, key=lambda w: w.start), cuts)
    for n, line in enumerate(lines):
        next_start = lines[n + 1][0].start if n + 1 < len(lines) else float("inf")
        next_cut = min((t for t in cuts if t > line[-1].start), default=float("inf"))
        line_end = max(line[-1].end, min(line[-1].end + HOLD, next_start, next_cut))
        line_end = min(line_end, next_start)
        for i, word in enumerate(line):
            end = line[i + 1].start if i + 1 < len(line) else line_end
            if end > word.start:
                events.append((word.start, end, line, i))
    return events


@dataclass(frozen=True)
class CaptionGeometry:
    size: int  # font size in pixels
    outline: float  # outline width in pixels
    margin_v: int  # bottom of the caption text box above the frame's bottom edge


def caption_geometry(width: int, height: int, style: CaptionStyle) -> CaptionGeometry:
    size = round(height * style.size_ratio if height > width else width * style.size_ratio)
    return CaptionGeometry(max(12, min(size, round(height * 0.09))),
                           max(1.0, round(height * style.outline, 1)),
                           round(height * style.bottom_ratio))


def caption_band(width: int, height: int, style: CaptionStyle = CaptionStyle()) -> CaptionBand:
    """Where the bottom caption line is drawn, for the quality check that looks for it."""
    geometry = caption_geometry(width, height, style)
    bottom = height - geometry.margin_v + geometry.outline + 0.15 * geometry.size
    top = height - geometry.margin_v - 1.15 * geometry.size - geometry.outline
    return CaptionBand(top=max(0.0, top / height), bottom=min(1.0, bottom / height),
                       font_px=geometry.size, frame_height=height, colour=style.colour,
                       highlight=style.highlight)


def ass_document(words: list[Word], width: int, height: int,
                 style: CaptionStyle = CaptionStyle(), cuts: Sequence[float] = ()) -> str:
    geometry = caption_geometry(width, height, style)
    size, outline, margin_v = geometry.size, geometry.outline, geometry.margin_v
    header = "\n".join([
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}",
        "WrapStyle: 0", "ScaledBorderAndShadow: yes", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Caption,{style.font},{size},{_ass_colour(style.colour)},"
        f"{_ass_colour(style.highlight)},&H00000000,&H80000000,-1,0,0,0,100,100,0,0,1,"
        f"{outline},0,2,{round(width * 0.06)},{round(width * 0.06)},{margin_v},1",
        "", "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ])
    highlight = _ass_colour(style.highlight)
    lines = [header]
    for start, end, line, current in caption_events(words, cuts):
        text = " ".join(
            f"{{\\c{highlight}}}{_escape(w.text)}{{\\r}}" if i == current else _escape(w.text)
            for i, w in enumerate(line))
        lines.append(f"Dialogue: 0,{_time(start)},{_time(end)},Caption,,0,0,0,,{text}")
    return "\n".join(lines) + "\n"


def write_captions_json(words: list[Word], path: Path) -> None:
    """The caption words on the output timeline (the quality checks read them)."""
    Path(path).write_text(json.dumps([asdict(w) for w in words], indent=1), encoding="utf-8")


def read_captions_json(path: Path) -> list[Word]:
    return [Word(**w) for w in json.loads(Path(path).read_text(encoding="utf-8"))]
