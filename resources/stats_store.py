import dagster as dg

from pattern_pivot.stats.config import open_stats_store
from pattern_pivot.stats.store import StatsStore


class StatsStoreResource(dg.ConfigurableResource):
    """Daily video statistics: a SQLite file (default) or a DynamoDB table (AWS or any
    compatible endpoint)."""

    backend: str = "sqlite"  # sqlite | dynamodb
    sqlite_path: str = "var/stats.sqlite"
    dynamodb_table: str = "pattern-pivot-video-stats"
    dynamodb_endpoint: str = ""  # empty: AWS itself
    aws_region: str = "us-east-1"
    max_attempts: int = 8  # DynamoDB throttling: botocore retries with backoff this often

    def store(self) -> StatsStore:
        return open_stats_store(self.backend, self.sqlite_path, self.dynamodb_table,
                                self.dynamodb_endpoint, self.aws_region, self.max_attempts)
