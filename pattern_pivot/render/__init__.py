"""The render engine: an EditPlan becomes one ffmpeg invocation and a finished MP4."""

from pattern_pivot.render.engine import RenderOptions, RenderResult, clear_caches, render_plan
from pattern_pivot.render.sources import SourceMedia

__all__ = ["RenderOptions", "RenderResult", "SourceMedia", "clear_caches", "render_plan"]
