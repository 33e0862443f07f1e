"""The ``pattern-pivot`` command line: what people do outside the Dagster UI."""

from pattern_pivot.cli import channels, reframe, remix, shorts  # noqa: F401  (they add commands to app)
from pattern_pivot.cli.main import app

__all__ = ["app"]
