"""The ``pattern-pivot`` command line: what people do outside the Dagster UI."""

from pattern_pivot.cli import channels, remix, subtitles  # noqa: F401  (they add their commands to app)
from pattern_pivot.cli.main import app

__all__ = ["app"]
