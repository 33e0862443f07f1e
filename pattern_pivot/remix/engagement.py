"""Engagement for the remix re-rank, read from the stats store. Optional by design: the store
being down or misconfigured costs the re-rank, never the remix."""

from __future__ import annotations

import logging
from typing import Callable

from pattern_pivot.remix.select import engagement_from_stats
from pattern_pivot.stats.store import StatsStore, StatsStoreError

log = logging.getLogger(__name__)


def stats_engagement(open_store: Callable[[], StatsStore],
                     warn: Callable[[str], None] = log.warning
                     ) -> Callable[[list[str]], dict[str, float]]:
    """Engagement per candidate video from the store's latest snapshots; on a stats-store
    failure, none at all (ranking by relevance alone) and a warning that says so."""

    def lookup(video_ids: list[str]) -> dict[str, float]:
        try:
            return engagement_from_stats(open_store().latest(video_ids))
        except StatsStoreError as exc:
            warn(f"ranking by relevance only, without engagement: the stats store failed "
                 f"({exc})")
            return {}

    return lookup
