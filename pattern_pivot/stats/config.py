"""Which stats backend to use, from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pattern_pivot.stats.store import StatsStore, StatsStoreError

BACKENDS = ("sqlite", "dynamodb")


@dataclass(frozen=True)
class StatsConfig:
    backend: str = "sqlite"
    sqlite_path: str = ""
    dynamodb_table: str = "pattern-pivot-video-stats"
    dynamodb_endpoint: str = ""
    aws_region: str = "us-east-1"

    @classmethod
    def from_env(cls, data_dir: Path) -> "StatsConfig":
        env = os.environ.get
        return cls(
            backend=(env("PATTERN_PIVOT_STATS_BACKEND") or "sqlite").strip().lower(),
            sqlite_path=env("PATTERN_PIVOT_STATS_DB") or str(Path(data_dir) / "stats.sqlite"),
            dynamodb_table=env("PATTERN_PIVOT_DYNAMODB_TABLE") or cls.dynamodb_table,
            dynamodb_endpoint=env("PATTERN_PIVOT_DYNAMODB_ENDPOINT") or "",
            aws_region=env("AWS_REGION") or env("AWS_DEFAULT_REGION") or cls.aws_region)


def open_stats_store(backend: str, sqlite_path: str, dynamodb_table: str,
                     dynamodb_endpoint: str = "", aws_region: str = "us-east-1",
                     max_attempts: int = 8) -> StatsStore:
    if backend == "sqlite":
        from pattern_pivot.stats.sqlite_store import SqliteStatsStore

        return SqliteStatsStore(Path(sqlite_path))
    if backend == "dynamodb":
        from pattern_pivot.stats.dynamodb_store import DynamoStatsStore

        return DynamoStatsStore(dynamodb_table, region=aws_region,
                                endpoint_url=dynamodb_endpoint, max_attempts=max_attempts)
    # Checked here, when the store is opened, not when the code location loads: a bad
    # backend fails only the stats stages.
    raise StatsStoreError(f"PATTERN_PIVOT_STATS_BACKEND={backend!r}", "is not a stats backend",
                          f"set it to {' or '.join(BACKENDS)}, or unset it (sqlite)")
