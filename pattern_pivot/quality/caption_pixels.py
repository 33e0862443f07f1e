"""Find burned-in captions in the rendered pixels, not in the plan.

The renderer draws each caption line in a known band above the bottom of the frame: glyphs
filled white (the line) and in the highlight colour (the word being spoken), each inside a
dark outline. The analysis pass samples a few frames per second, cropped to that band and
scaled so the font is about ``FONT_PX`` tall, and scores each frame on its own (nothing
decoded is kept). A caption stroke pixel is a bright pixel enclosed by the outline: its
bright run ends in dark pixels on the left and right and above and below, within a glyph's
size. Bright areas (white shirts, sky) and background peeking between outlined letters run
on past a glyph or into the background, so they are not strokes. Shadowed text on a dark
card is enclosed too, so a frame counts as captioned only when enough strokes are in the
highlight colour, which every caption event has (one word is always highlighted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLES_PER_SECOND = 4
FONT_PX = 24  # the font's size after scaling the band down (never scaled up)
DARK = 50  # the outline: every channel at most this (the black outline decodes to ~0-30)
GLYPH_SIZE = 0.9  # a glyph's fill spans at most this many font sizes either way
EDGE = 0.1  # anti-aliasing between fill and outline, in font sizes
HIGHLIGHT_CHROMA = 0.4  # share of the highlight's chroma a stroke pixel must show
# Enclosed strokes in the highlight colour, in font sizes squared, for a frame to count as
# captioned. Measured on renders over real footage (cockatoo, talking head) and the sample
# channel's title and section cards, from 180x320 to 1080x1920: every captioned frame scored
# 0.19 or more, every uncaptioned one 0.002 or less; white outlined screen text over
# testsrc2's saturated yellow bar (chroma bleeds into thin strokes) scores up to 0.05. A lone
# highlighted "I" or "a" scores 0.04-0.16, so such a moment may be missed: the coverage
# threshold has room for it.
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
        return cls(band, y, width, crop_height, max(2, int(width * scale) // 2 * 2), scaled,
                   font * scaled / crop_height)

    @property
    def frame_bytes(self) -> int:
        return self.width * self.height * 3

    def filter_chain(self) -> str:
        return (f"fps={SAMPLES_PER_SECOND},crop={self.crop_width}:{self.crop_height}:"
                f"0:{self.y},scale={self.width}:{self.height}:flags=area,"
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


def _near(mask: np.ndarray, reach: int, axis: int) -> np.ndarray:
    """Whether ``mask`` holds within ``reach`` pixels of each pixel along ``axis``."""
    lines = np.moveaxis(mask, axis, -1)
    n = lines.shape[-1]
    counts = np.zeros((*lines.shape[:-1], n + 2 * reach + 1), dtype=np.int32)
    counts[..., reach + 1:reach + 1 + n] = np.cumsum(lines, axis=-1)
    counts[..., reach + 1 + n:] = counts[..., reach + n:reach + n + 1]
    # counts[..., k] is how many of lines[..., :k - reach - 1] are set: window i-reach..i+reach
    near = counts[..., 2 * reach + 1:] - counts[..., :n]
    return np.moveaxis(near > 0, -1, axis)


def _enclosed(bright: np.ndarray, rim: np.ndarray, longest: int, axis: int) -> np.ndarray:
    """Bright pixels whose bright run along ``axis`` is at most ``longest`` long and ends in
    the dark rim at both ends (a glyph's fill inside its outline; not the background)."""
    lit = np.moveaxis(bright, axis, -1)
    ring = np.moveaxis(rim, axis, -1)
    n = lit.shape[-1]
    index = np.broadcast_to(np.arange(n), lit.shape)
    before = np.maximum.accumulate(np.where(lit, -1, index), axis=-1)  # last unlit <= i
    after = np.minimum.accumulate(np.where(lit, n, index)[..., ::-1], axis=-1)[..., ::-1]
    inside = (before >= 0) & (after < n) & (after - before - 1 <= longest)
    ends = (np.take_along_axis(ring, before.clip(0, n - 1), axis=-1)
            & np.take_along_axis(ring, after.clip(0, n - 1), axis=-1))
    return np.moveaxis(lit & inside & ends, -1, axis)


def measure_frame(frame: np.ndarray, font_px: float, colour: str = "FFFFFF",
                  highlight: str = "FFD400") -> FrameCaption:
    """Score one band frame (height, width, 3) uint8 for outlined caption strokes."""
    rgb = frame.astype(np.float32)
    luma, u, v = _chroma(rgb)
    fills = [_rgb(colour), _rgb(highlight)]
    fill_luma = min(_chroma(c)[0] for c in fills)
    dark = rgb.max(axis=2) <= DARK
    bright = luma >= fill_luma * 0.75
    # A run may end in a pixel or two of anti-aliasing before the outline proper.
    edge = max(1, int(round(EDGE * font_px)))
    rim = _near(_near(dark, edge, 1), edge, 0)
    longest = int(round(GLYPH_SIZE * font_px))
    strokes = _enclosed(bright, rim, longest, 0) & _enclosed(bright, rim, longest, 1)
    area = font_px * font_px
    _, hu, hv = _chroma(fills[1])
    _, cu, cv = _chroma(fills[0])
    distinct = float(np.hypot(hu - cu, hv - cv)) >= 60
    highlight_area = 0.0
    if distinct:
        # Chroma is subsampled (4:2:0), so thin strokes keep only part of their colour:
        # accept a pixel whose chroma goes part of the way from the line's to the highlight's.
        norm = float(np.hypot(hu - cu, hv - cv))
        towards = ((u - cu) * (hu - cu) + (v - cv) * (hv - cv)) / norm
        highlight_area = float((strokes & (towards >= norm * HIGHLIGHT_CHROMA)).sum()) / area
    return FrameCaption(float(strokes.sum()) / area, highlight_area, distinct)
