"""Quality checks on a rendered video: measured with ffmpeg, judged against the plan."""

from pattern_pivot.quality.checks import CHECK_NAMES, CheckOutcome, Expectations, run_checks

__all__ = ["CHECK_NAMES", "CheckOutcome", "Expectations", "run_checks"]
