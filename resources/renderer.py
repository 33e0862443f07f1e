from typing import Optional

import dagster as dg

from pattern_pivot.render.captions import CaptionStyle
from pattern_pivot.render.engine import RenderOptions


class RendererResource(dg.ConfigurableResource):
    """How remix videos are encoded and captioned. ``frame_width``/``frame_height`` override
    the plan's aspect size (0: the aspect's full size, e.g. 1080x1920 for 9:16);
    ``background_audio``: a music file ducked under speech ("" for none)."""

    fps: int = 30
    preset: str = "veryfast"
    crf: int = 21
    loudness_lufs: float = -14.0
    captions: bool = True
    caption_font: str = "DejaVu Sans"
    caption_size_ratio: float = 0.045
    caption_colour: str = "FFFFFF"
    caption_highlight: str = "FFD400"
    background_audio: str = ""
    background_gain_db: float = -12.0
    frame_width: int = 0
    frame_height: int = 0
    duration_tolerance: float = 0.25
    # Share of the time with sound that captions must cover; lower it for outputs with
    # long music-only stretches (the check cannot tell music from speech).
    min_caption_coverage: float = 0.7

    def options(self) -> RenderOptions:
        from pathlib import Path

        size: Optional[tuple[int, int]] = ((self.frame_width, self.frame_height)
                                           if self.frame_width and self.frame_height else None)
        style = CaptionStyle(font=self.caption_font, size_ratio=self.caption_size_ratio,
                             colour=self.caption_colour, highlight=self.caption_highlight)
        return RenderOptions(fps=self.fps, preset=self.preset, crf=self.crf,
                             loudness_lufs=self.loudness_lufs, captions=self.captions,
                             caption_style=style,
                             background_audio=Path(self.background_audio)
                             if self.background_audio else None,
                             background_gain_db=self.background_gain_db, frame_size=size,
                             duration_tolerance=self.duration_tolerance,
                             min_caption_coverage=self.min_caption_coverage)
