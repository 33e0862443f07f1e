"""Title cards drawn with Pillow (DejaVu Sans), then moved gently by the render like stills."""

from __future__ import annotations

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


def fit_text(text: str, width: int, height: int, start: int | None = None
             ) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (from ``start`` px, by default 7.5% of the short side, down) at which
    ``text``, word-wrapped, fits ``width`` x ``height``: a card shrinks or wraps its text, it
    never cuts it."""
    words = text.split()
    size = start or max(12, round(min(width, height) * 0.075))
    while True:
        font = _font(size)
        lines: list[str] = []
        for word in words:
            if lines and font.getlength(f"{lines[-1]} {word}") <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        fits = all(font.getlength(line) <= width for line in lines)
        if (fits and round(size * 1.3) * len(lines) <= height) or size <= 10:
            return font, lines
        size = max(10, int(size * 0.9))


def draw_card(text: str, width: int, height: int, path: Path) -> Path:
    """A gradient card with ``text`` centred in the upper part of the frame (captions sit
    below it), inside a margin the camera motion (zoom up to 1.1) never crops."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(height - 1, 1)
        draw.line([(0, y), (width, y)],
                  fill=tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM)))
    box_w, box_h = width * 0.78, height * 0.42
    font, lines = fit_text(" ".join(text.split()), int(box_w), int(box_h))
    size = font.size
    line_height = round(size * 1.3)
    y = height * 0.08 + (box_h - line_height * len(lines)) / 2
    for line in lines:
        draw.text((width / 2, y), line, font=font, fill=(255, 255, 255), anchor="ma",
                  stroke_width=max(1, size // 18), stroke_fill=(0, 0, 0))
        y += line_height
    image.save(path, format="PNG")
    return path
