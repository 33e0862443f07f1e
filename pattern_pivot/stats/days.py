"""The first day of the daily stats partitions: the day the catalog began.

YouTube keeps no history, so a day before the catalog existed could only be backfilled with
the numbers of the day it runs: showing those days as partitions made a grey wall of
"Missing" in the UI. ``PATTERN_PIVOT_STATS_START`` (YYYY-MM-DD) sets another first day, e.g.
for a stats store that holds older days.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timezone
from pathlib import Path

from pattern_pivot.catalog import Catalog
from pattern_pivot.settings import SettingError, Settings

STATS_START_ENV = "PATTERN_PIVOT_STATS_START"


def stats_start_day(catalog_path: Path, now: float | None = None) -> str:
    """``PATTERN_PIVOT_STATS_START`` when it is a valid day, else the catalog's first day
    (UTC), else today (no catalog yet)."""
    configured = os.environ.get(STATS_START_ENV, "").strip()
    if configured:
        try:
            return date.fromisoformat(configured).isoformat()
        except ValueError:
            pass  # never fail the code location for it: the catalog's first day instead
    began = Catalog(catalog_path).created_at()
    moment = began if began is not None else (time.time() if now is None else now)
    return datetime.fromtimestamp(moment, timezone.utc).date().isoformat()


def stats_start_from_env() -> str:
    """The first day for the catalog the environment names (a bad path: today's day; the
    stage that reads the catalog names the problem)."""
    try:
        return stats_start_day(Settings.from_env().catalog_path)
    except SettingError:
        return datetime.now(timezone.utc).date().isoformat()
