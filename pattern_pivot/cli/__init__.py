"""The ``pattern-pivot`` command line: what people do outside the Dagster UI."""

from pattern_pivot.cli import (  # noqa: F401  (they add their commands to app)
    api,
    channels,
    dub,
    enhance,
    present,
    publish,
    reframe,
    remix,
    report,
    shorts,
    subtitles,
    trailer,
)
from pattern_pivot.cli.main import app

__all__ = ["app"]
