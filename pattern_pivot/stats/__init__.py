"""Video statistics over time: one snapshot per video per day, behind one interface with an
embedded SQLite backend (the default) and a DynamoDB backend."""

from pattern_pivot.stats.store import StatsStore, StatsStoreError, VideoStats, WriteSummary

__all__ = ["StatsStore", "StatsStoreError", "VideoStats", "WriteSummary"]
