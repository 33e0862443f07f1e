"""Find burned-in captions in the rendered pixels, not in the plan.

The renderer draws each caption line in a known band above the bottom of the frame: glyphs
filled white (the line) and in the highlight colour (the word being spoken), each with a dark
outline. The analysis pass samples a few frames per second, cropped to that band and scaled
so the font is about ``FONT_PX`` tall, and each frame is scored on its own (nothing decoded
is kept). A caption pixel is a bright pixel with outline-dark pixels close on both sides
(left and right, or above and below): a thin bright stroke inside a dark rim. Large bright
areas (white shirts, sky) have no dark rim on both sides; shadowed title-card text does, so
a frame counts as captioned only when it also shows such strokes in the highlight colour,
which every caption event has (one word is always highlighted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLES_PER_SECOND = 4
FONT_PX = 24  # the font's size after scaling the band down (never scaled up)
DARK = 50  # the outline: every channel at most this (dark backgrounds reach ~70)
STROKE_REACH = 0.3  # how far (in font sizes) a stroke's dark rim may be from a pixel
# Outlined strokes in the highlight colour, in font sizes squared, for a frame to count as
# captioned: the shortest highlighted word ("a", "I") scores about 0.15 and sample-channel
# title cards (shadowed yellow text over medal ribbons) at most 0.02.
MIN_HIGHLIGHT_AREA = 0.1
# Without a distinct highlight colour only the line's strokes are left to count (weaker:
# shadowed white text in the band looks the same).
MIN_GLYPH_AREA = 0.25


@dataclass(frozen=True)
class CaptionBand:
    """The caption line's place and colours (from the renderer's layout)."""
    top: float  # fractions of the frame height
    bottom: float
    font_px: int  # the font size at ``frame_height``
    frame_height: int
    colour: str = "FFFFFF"  # RRGGBB
    highlight: str = "FFD400"


@dataclass(frozen=True)
class BandSampler:
    """The crop-and-scale that the analysis pass streams, and how to read one frame."""
    band: CaptionBand
    x: int
    y: int
    crop_width: int
    crop_height: int
    width: int  # after scaling
    height: int
    font_px: float  # the font size after scaling

    @classmethod
    def for_frame(cls, band: CaptionBand, width: int, height: int) -> BandSampler:
        y = max(0, int(band.top * height))
        crop_height = max(2, min(height, int(round(band.bottom * height))) - y)
        font = band.font_px * height / max(band.frame_height, 1)
        scale = min(1.0, FONT_PX / max(font, 1.0))
        scaled = max(2, int(crop_height * scale) // 2 * 2)
        return cls(band, 0, y, width, crop_height, max(2, int(width * scale) // 2 * 2), scaled,
                   font * scaled / crop_height)

    @property
    def frame_bytes(self) -> int:
        return self.width * self.height * 3

    def filter_chain(self) -> str:
        return (f"fps={SAMPLES_PER_SECOND},crop={self.crop_width}:{self.crop_height}:"
                f"{self.x}:{self.y},scale={self.width}:{self.height}:flags=area,"
                "format=rgb24")

    def measure(self, raw: bytes) -> FrameCaption:
        frame = np.frombuffer(raw, dtype=np.uint8).reshape(self.height, self.width, 3)
        return measure_frame(frame, self.font_px, self.band.colour, self.band.highlight)


@dataclass(frozen=True)
class FrameCaption:
    glyph_area: float  # caption-like stroke pixels, in font sizes squared
    highlight_area: float
    needs_highlight: bool

    @property
    def present(self) -> bool:
        if self.needs_highlight:
            return self.highlight_area >= MIN_HIGHLIGHT_AREA
        return self.glyph_area >= MIN_GLYPH_AREA


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.float32)


def _chroma(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return luma, rgb[..., 2] - luma, rgb[..., 0] - luma


def _near(mask: np.ndarray, reach: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Whether ``mask`` holds within ``reach`` pixels before / after each pixel on ``axis``."""
    lines = np.moveaxis(mask, axis, -1)
    n = lines.shape[-1]
    # counts[..., k] = how many of lines[..., :k - reach - 1] are set (zero-padded both ends).
    counts = np.zeros((*lines.shape[:-1], n + 2 * reach + 1), dtype=np.int32)
    counts[..., reach + 1:reach + 1 + n] = np.cumsum(lines, axis=-1)
    counts[..., reach + 1 + n:] = counts[..., reach + n:reach + n + 1]
    before = counts[..., reach:reach + n] - counts[..., :n]  # pixels i-reach .. i-1
    after = counts[..., 2 * reach + 1:] - counts[..., reach + 1:reach + 1 + n]  # i+1 .. i+reach
    return np.moveaxis(before > 0, -1, axis), np.moveaxis(after > 0, -1, axis)


def measure_frame(frame: np.ndarray, font_px: float, colour: str = "FFFFFF",
                  highlight: str = "FFD400") -> FrameCaption:
    """Score one band frame (height, width, 3) uint8 for outlined caption strokes."""
    rgb = frame.astype(np.float32)
    luma, u, v = _chroma(rgb)
    fills = [_rgb(colour), _rgb(highlight)]
    fill_luma = min(_chroma(c)[0] for c in fills)
    dark = rgb.max(axis=2) <= DARK
    bright = luma >= fill_luma * 0.75
    reach = max(2, int(round(STROKE_REACH * font_px)))
    left, right = _near(dark, reach, 1)
    up, down = _near(dark, reach, 0)
    strokes = bright & ((left & right) | (up & down))
    area = font_px * font_px
    _, hu, hv = _chroma(fills[1])
    _, cu, cv = _chroma(fills[0])
    distinct = float(np.hypot(hu - cu, hv - cv)) >= 60
    highlight_area = 0.0
    if distinct:
        # Chroma is subsampled (4:2:0), so thin strokes keep only part of their colour:
        # accept a pixel whose chroma points at least half way towards the highlight's.
        norm = float(np.hypot(hu - cu, hv - cv))
        towards = ((u - cu) * (hu - cu) + (v - cv) * (hv - cv)) / norm
        highlight_area = float((strokes & (towards >= norm * 0.4)).sum()) / area
    return FrameCaption(float(strokes.sum()) / area, highlight_area, distinct)
