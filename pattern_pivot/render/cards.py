"""Title cards drawn with Pillow (DejaVu Sans), then moved gently by the render like stills."""

from __future__ import annotations

import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pattern_pivot.errors import ToolMissingError

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
TOP, BOTTOM = (24, 34, 58), (70, 40, 90)


def _font(size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(FONT_PATH), size)
    except OSError as exc:
        raise ToolMissingError(str(FONT_PATH), "the DejaVu font is not installed",
                               "install it: apt-get install fonts-dejavu-core") from exc


def draw_card(text: str, width: int, height: int, path: Path) -> Path:
    """A gradient card with ``text`` centred inside a margin the camera motion never crops."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(height - 1, 1)
        draw.line([(0, y), (width, y)],
                  fill=tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM)))
    size = max(12, round(min(width, height) * 0.075))
    font = _font(size)
    chars = max(8, int(width * 0.74 / (size * 0.6)))
    lines = textwrap.wrap(text, chars)[:6]
    line_height = round(size * 1.3)
    y = (height - line_height * len(lines)) / 2
    for line in lines:
        draw.text((width / 2, y), line, font=font, fill=(255, 255, 255), anchor="ma",
                  stroke_width=max(1, size // 18), stroke_fill=(0, 0, 0))
        y += line_height
    image.save(path, format="PNG")
    return path
