"""The DynamoDB stats store (AWS, or any compatible endpoint: DynamoDB Local, LocalStack,
moto).

Table design (on-demand billing):
- partition key ``video_id`` (S), sort key ``snapshot_date`` (S, YYYY-MM-DD): one item per
  video per day, so re-running a day rewrites the same items and cannot duplicate them;
- attributes ``channel_id``, ``views``/``likes``/``comments`` (N, absent when hidden),
  ``fetched_at`` (N), ``title``;
- global secondary index ``by_channel``: partition key ``channel_id``, sort key
  ``snapshot_date``, all attributes: a channel's history in one query;
- day markers: ``video_id = "#day"``, ``snapshot_date = <day>``, ``row_count``, written after
  every row of the day. They have no ``channel_id``, so the index never sees them.

Each row is a conditional PutItem (``attribute_not_exists(video_id) OR fetched_at <
:fetched``, and a row read on its own day only gives way to another such row):
idempotent, and never replaces fresher numbers with older ones. DynamoDB
has no multi-item transaction big enough for a 2,000-video day, so a day is made safe by
idempotence instead: a crash leaves no marker and re-running the day completes it.
Throttling is retried by botocore (standard mode, exponential backoff with jitter) and then
reported as a clear error.

The store never creates its table on its own: a least-privilege role (read/write items only)
has no CreateTable, and every new store calling it failed there. `create()` (the
`pattern-pivot stats create-table` command) makes it once; until then, every operation fails
with "does not exist" and that fix.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Sequence

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pattern_pivot.stats.store import (
    StatsStoreError,
    VideoStats,
    WriteSummary,
    check_day,
    check_rows,
    day_window,
)

CHANNEL_INDEX = "by_channel"
DAY_MARKER = "#day"
_THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException",
              "RequestLimitExceeded"}


class DynamoStatsStore:
    def __init__(self, table: str, region: str = "us-east-1", endpoint_url: str = "",
                 max_attempts: int = 8, writers: int = 8):
        self.table_name = table
        self.endpoint_url = endpoint_url or None
        config = Config(retries={"max_attempts": max_attempts, "mode": "standard"},
                        connect_timeout=5, read_timeout=30)
        self._resource = boto3.resource("dynamodb", region_name=region,
                                        endpoint_url=self.endpoint_url, config=config)
        self._table = self._resource.Table(table)
        self._client = self._resource.meta.client
        self.writers = max(1, writers)

    @property
    def description(self) -> str:
        return f"dynamodb:{self.table_name}" + (f"@{self.endpoint_url}" if self.endpoint_url
                                                 else "")

    def _error(self, exc: Exception, action: str) -> StatsStoreError:
        subject = f"DynamoDB table {self.table_name!r}"
        if self.endpoint_url:
            subject += f" at {self.endpoint_url}"
        code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else ""
        if code in _THROTTLED:
            return StatsStoreError(subject, f"throttled {action} ({code}) after every retry",
                                   "switch the table to on-demand capacity or raise its "
                                   "write capacity, then re-run the day: it is idempotent")
        if code == "ResourceNotFoundException":
            return StatsStoreError(subject, "does not exist",
                                   "run `pattern-pivot stats create-table` once (with a role "
                                   "allowed dynamodb:CreateTable), then re-run")
        if code in ("UnrecognizedClientException", "InvalidSignatureException",
                    "AccessDeniedException"):
            return StatsStoreError(subject, f"refused the credentials ({code})",
                                   "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the role")
        return StatsStoreError(subject, f"failed {action}: {exc}",
                               "check PATTERN_PIVOT_DYNAMODB_ENDPOINT, the AWS region and "
                               "credentials")

    def exists(self) -> bool:
        try:
            self._client.describe_table(TableName=self.table_name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return False
            raise self._error(exc, "describing the table") from None
        except BotoCoreError as exc:
            raise self._error(exc, "describing the table") from None
        return True

    def create(self) -> bool:
        """Create the table and its index if missing; True when created now. Asks
        DescribeTable first, so an existing table needs no CreateTable permission."""
        if self.exists():
            return False
        try:
            self._resource.create_table(
                TableName=self.table_name, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": "video_id", "AttributeType": "S"},
                    {"AttributeName": "snapshot_date", "AttributeType": "S"},
                    {"AttributeName": "channel_id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "video_id", "KeyType": "HASH"},
                           {"AttributeName": "snapshot_date", "KeyType": "RANGE"}],
                GlobalSecondaryIndexes=[{
                    "IndexName": CHANNEL_INDEX,
                    "KeySchema": [{"AttributeName": "channel_id", "KeyType": "HASH"},
                                  {"AttributeName": "snapshot_date", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "ALL"}}])
            self._table.wait_until_exists()
            created = True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise self._error(exc, "creating the table") from None
            created = False  # already there (or another process just made it)
        except BotoCoreError as exc:
            raise self._error(exc, "creating the table") from None
        return created

    def _put_row(self, row: VideoStats) -> bool:
        """One conditional PutItem; False when a row at least as fresh is already there."""
        fetched_at = _decimal(row.fetched_at)
        start, end = day_window(row.snapshot_date)
        item = {"video_id": row.video_id, "snapshot_date": row.snapshot_date,
                "channel_id": row.channel_id, "title": row.title, "fetched_at": fetched_at}
        for name in ("views", "likes", "comments"):
            if getattr(row, name) is not None:
                item[name] = int(getattr(row, name))
        # As in SQLite: fresher wins, but a row read on its own day (fetched_at inside the
        # day's window) only gives way to another one read on its day.
        combine = "OR" if row.fetched_on_day else "AND"
        try:
            # The resource's client is thread-safe (the resource is not), so rows go in
            # parallel; boto3 serialises plain Python values for it.
            self._client.put_item(
                TableName=self.table_name, Item=item,
                ConditionExpression="attribute_not_exists(video_id) OR (NOT (fetched_at >= "
                f":start AND fetched_at < :end) {combine} fetched_at < :fetched)",
                ExpressionAttributeValues={":fetched": fetched_at, ":start": _decimal(start),
                                           ":end": _decimal(end)})
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def write_day(self, day: str, rows: Sequence[VideoStats]) -> WriteSummary:
        check_rows(day, rows)
        try:
            with ThreadPoolExecutor(max_workers=self.writers) as pool:
                written = sum(pool.map(self._put_row, rows))
            # The marker goes last: only a fully written day counts as complete.
            self._table.put_item(Item={"video_id": DAY_MARKER, "snapshot_date": day,
                                       "row_count": len(rows),
                                       "completed_at": _decimal(time.time())})
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, f"writing day {day}") from None
        return WriteSummary(day, written, len(rows) - written)

    def is_complete(self, day: str) -> bool:
        try:
            item = self._table.get_item(Key={"video_id": DAY_MARKER,
                                             "snapshot_date": check_day(day)}).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "reading a day marker") from None
        return item is not None

    def _paged(self, method, action: str, **kwargs) -> list[VideoStats]:
        rows: list[VideoStats] = []
        try:
            while True:
                page = method(**kwargs)
                rows += [_row(i) for i in page.get("Items", []) if i["video_id"] != DAY_MARKER]
                if "LastEvaluatedKey" not in page:
                    return rows
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, action) from None

    def day(self, day: str) -> list[VideoStats]:
        # A scan: fine for a summary or a test; per-video and per-channel reads use keys.
        rows = self._paged(self._table.scan, "scanning a day",
                           FilterExpression=Attr("snapshot_date").eq(check_day(day)))
        return sorted(rows, key=lambda r: r.video_id)

    def history(self, video_id: str) -> list[VideoStats]:
        return self._paged(self._table.query, "reading a video's history",
                           KeyConditionExpression=Key("video_id").eq(video_id))

    def channel_history(self, channel_id: str) -> list[VideoStats]:
        rows = self._paged(self._table.query, "reading a channel's history",
                           IndexName=CHANNEL_INDEX,
                           KeyConditionExpression=Key("channel_id").eq(channel_id))
        return sorted(rows, key=lambda r: (r.snapshot_date, r.video_id))

    def complete_days(self) -> list[str]:
        """Days whose snapshot was fully written, newest first (one query on the markers)."""
        days, kwargs = [], {"KeyConditionExpression": Key("video_id").eq(DAY_MARKER),
                            "ScanIndexForward": False, "ProjectionExpression": "snapshot_date"}
        try:
            while True:
                page = self._table.query(**kwargs)
                days += [i["snapshot_date"] for i in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    return days
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "reading the day markers") from None

    def _batch_get(self, video_ids: list[str], day: str) -> dict[str, VideoStats]:
        found: dict[str, VideoStats] = {}
        for start in range(0, len(video_ids), 100):  # BatchGetItem takes 100 keys
            request = {self.table_name: {"Keys": [
                {"video_id": v, "snapshot_date": day} for v in video_ids[start:start + 100]]}}
            for attempt in range(8):
                try:
                    answer = self._resource.batch_get_item(RequestItems=request)
                except (ClientError, BotoCoreError) as exc:
                    raise self._error(exc, "reading the latest snapshots") from None
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    found[item["video_id"]] = _row(item)
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 2.0))  # throttled keys come back unprocessed
            else:
                raise self._error(ClientError({"Error": {
                    "Code": "ProvisionedThroughputExceededException", "Message": ""}},
                    "BatchGetItem"), "reading the latest snapshots")
        return found

    def latest(self, video_ids: Iterable[str]) -> dict[str, VideoStats]:
        # Most videos have a row on the newest complete day: one BatchGetItem per 100
        # videos. The rest (new, or gone since) fall back to one query each.
        ids = list(dict.fromkeys(video_ids))
        days = self.complete_days()
        found = self._batch_get(ids, days[0]) if days and ids else {}
        for video_id in ids:
            if video_id in found:
                continue
            rows = self._paged(self._table.query, "reading the latest snapshot",
                               KeyConditionExpression=Key("video_id").eq(video_id),
                               ScanIndexForward=False, Limit=1)
            if rows:
                found[video_id] = rows[0]
        return found


def _decimal(value: float):
    from decimal import Decimal

    return Decimal(repr(round(value, 3)))


def _optional_int(item: dict, name: str) -> int | None:
    return int(item[name]) if name in item else None


def _row(item: dict) -> VideoStats:
    return VideoStats(video_id=item["video_id"], snapshot_date=item["snapshot_date"],
                      channel_id=item.get("channel_id", ""), views=_optional_int(item, "views"),
                      likes=_optional_int(item, "likes"),
                      comments=_optional_int(item, "comments"),
                      fetched_at=float(item["fetched_at"]), title=item.get("title", ""))
