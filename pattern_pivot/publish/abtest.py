"""A/B thumbnail tests by rotation, judged on YouTube Reporting API data.

The Data API cannot split traffic between thumbnails, so the variants take turns: one per
day (``days_each``), each shown ``rounds`` times, in a fixed order. Thumbnail impressions and
their click-through rate per video and day come from the Reporting API's daily bulk report
``channel_reach_basic_a1`` (metrics ``video_thumbnail_impressions`` and
``video_thumbnail_impressions_ctr``; https://developers.google.com/youtube/reporting/v1/
reports/channel_reports); the Analytics API's reports.query does not serve them.

The winner is the variant with the best click-through rate once it beats every other variant
in a two-proportion z-test (pooled, two-sided) at alpha/(k-1) (Bonferroni over the k-1
comparisons), with at least ``min_impressions`` impressions per variant. Before that the
test says "not yet" and why; without OAuth it says it is waiting, never a number.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pattern_pivot.publish.upload import PublishError
from pattern_pivot.sqlite_db import open_sqlite

REPORT_TYPE = "channel_reach_basic_a1"


@dataclass(frozen=True)
class Rotation:
    youtube_id: str
    thumbnails: tuple[str, ...]  # paths, in rotation order
    start: date
    days_each: int = 1
    rounds: int = 3

    @property
    def end(self) -> date:
        """The day after the last rotation day."""
        return self.start + timedelta(days=self.days_each * len(self.thumbnails) * self.rounds)

    def variant_on(self, day: date) -> int | None:
        """Index of the thumbnail shown on ``day``; None outside the test."""
        offset = (day - self.start).days
        if offset < 0 or day >= self.end:
            return None
        return (offset // self.days_each) % len(self.thumbnails)


class RotationStore:
    """Running thumbnail tests, in the publish ledger's SQLite file (one per video)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        conn = open_sqlite(self.path)
        conn.execute("CREATE TABLE IF NOT EXISTS thumbnail_tests (youtube_id TEXT PRIMARY KEY,"
                     " thumbnails TEXT NOT NULL, start TEXT NOT NULL, days_each INTEGER NOT"
                     " NULL, rounds INTEGER NOT NULL)")
        return conn

    def start(self, rotation: Rotation) -> None:
        """Record a test (a second start for the same video keeps the first)."""
        with closing(self._connect()) as conn, conn:
            conn.execute("INSERT OR IGNORE INTO thumbnail_tests VALUES (?, ?, ?, ?, ?)",
                         (rotation.youtube_id, json.dumps(list(rotation.thumbnails)),
                          rotation.start.isoformat(), rotation.days_each, rotation.rounds))

    def all(self) -> list[Rotation]:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM thumbnail_tests ORDER BY start").fetchall()
        return [Rotation(r[0], tuple(json.loads(r[1])), date.fromisoformat(r[2]), r[3], r[4])
                for r in rows]


@dataclass(frozen=True)
class Arm:
    variant: int
    impressions: int
    clicks: float  # impressions x CTR, as the report gives the rate

    @property
    def ctr(self) -> float:
        return self.clicks / self.impressions if self.impressions else 0.0


@dataclass(frozen=True)
class Decision:
    state: str  # "waiting" | "not-yet" | "winner"
    reason: str
    winner: int | None = None
    p_value: float | None = None
    arms: tuple[Arm, ...] = ()


def read_reach_report(text: str, youtube_id: str) -> dict[date, tuple[int, float]]:
    """(impressions, clicks) per day for one video from a channel_reach_basic_a1 CSV (rows
    for other videos and breakdowns are summed per day)."""
    days: dict[date, tuple[int, float]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("video_id") != youtube_id:
            continue
        day = date(int(row["date"][:4]), int(row["date"][4:6]), int(row["date"][6:8]))
        impressions = int(float(row.get("video_thumbnail_impressions") or 0))
        ctr = float(row.get("video_thumbnail_impressions_ctr") or 0)
        old = days.get(day, (0, 0.0))
        days[day] = (old[0] + impressions, old[1] + impressions * ctr)
    return days


def arms(rotation: Rotation, daily: dict[date, tuple[int, float]]) -> list[Arm]:
    totals = {i: [0, 0.0] for i in range(len(rotation.thumbnails))}
    for day, (impressions, clicks) in daily.items():
        variant = rotation.variant_on(day)
        if variant is not None:
            totals[variant][0] += impressions
            totals[variant][1] += clicks
    return [Arm(v, n, c) for v, (n, c) in totals.items()]


def two_proportion_p(a: Arm, b: Arm) -> float:
    """Two-sided p-value that ``a`` and ``b`` have the same click-through rate."""
    pooled = (a.clicks + b.clicks) / (a.impressions + b.impressions)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a.impressions + 1 / b.impressions))
    if se == 0:
        return 1.0
    z = abs(a.ctr - b.ctr) / se
    return math.erfc(z / math.sqrt(2))


def decide(rotation: Rotation, daily: dict[date, tuple[int, float]] | None,
           min_impressions: int = 1000, alpha: float = 0.05) -> Decision:
    if daily is None:
        return Decision("waiting", "no YouTube OAuth token: the Reporting API cannot be read")
    found = arms(rotation, daily)
    thin = [a for a in found if a.impressions < min_impressions]
    if thin:
        return Decision("not-yet", f"variant {thin[0].variant + 1} has {thin[0].impressions} "
                        f"impressions; each needs {min_impressions}", arms=tuple(found))
    ranked = sorted(found, key=lambda a: -a.ctr)
    best = ranked[0]
    threshold = alpha / max(1, len(found) - 1)
    worst_p = max(two_proportion_p(best, other) for other in ranked[1:]) if ranked[1:] else 0
    if worst_p >= threshold:
        return Decision("not-yet", f"variant {best.variant + 1} leads ({best.ctr:.2%}) but "
                        f"p = {worst_p:.3g} is not below {threshold:.3g}", p_value=worst_p,
                        arms=tuple(found))
    return Decision("winner", f"variant {best.variant + 1}: {best.ctr:.2%} click-through, "
                    f"p = {worst_p:.3g} < {threshold:.3g} against every other variant",
                    winner=best.variant, p_value=worst_p, arms=tuple(found))


def thumbnail_for(rotation: Rotation, decision: Decision, day: date) -> int | None:
    """The thumbnail to set on ``day``: the winner once there is one, else the day's turn
    (None after the rotation ended without a winner: leave what is set)."""
    if decision.winner is not None:
        return decision.winner
    return rotation.variant_on(day)


def markdown(rows: list[tuple[Rotation, Decision]]) -> str:
    """The tests' state for the UI: a table, never a number while waiting."""
    if not rows:
        return "No thumbnail tests yet: an upload with several thumbnails starts one."
    lines = ["| video | variants | rotation | state | detail |", "|---|---|---|---|---|"]
    for rotation, decision in rows:
        lines.append(f"| {rotation.youtube_id} | {len(rotation.thumbnails)} | "
                     f"{rotation.start} to {rotation.end - timedelta(days=1)} | "
                     f"{decision.state} | {decision.reason} |")
    return "\n".join(lines)


def reach_reports(client, http, since: date) -> list[str]:
    """The CSV text of every channel_reach_basic_a1 report covering days from ``since``,
    creating the reporting job on first use (its first reports arrive about two days later).
    ``client`` is build("youtubereporting", "v1"); ``http`` its authorised transport."""
    jobs = client.jobs().list().execute().get("jobs", [])
    job = next((j for j in jobs if j.get("reportTypeId") == REPORT_TYPE), None)
    if job is None:
        client.jobs().create(body={"reportTypeId": REPORT_TYPE,
                                   "name": "pattern-pivot thumbnail tests"}).execute()
        return []
    texts, token = [], None
    while True:
        page = client.jobs().reports().list(
            jobId=job["id"], startTimeAtOrAfter=f"{since.isoformat()}T00:00:00Z",
            **({"pageToken": token} if token else {})).execute()
        for report in page.get("reports", []):
            response, content = http.request(report["downloadUrl"], "GET")
            if int(response.status) != 200:
                raise PublishError(f"Reporting API report {report['id']}",
                                   f"could not be downloaded (HTTP {response.status})",
                                   "try again tomorrow; reports stay for 60 days")
            texts.append(content.decode("utf-8"))
        token = page.get("nextPageToken")
        if not token:
            return texts


def run_tests(rotations: list[Rotation], credentials, today: date, youtube,
              log=lambda *args: None) -> list[tuple[Rotation, Decision]]:
    """Read the reach reports, decide each test and set today's thumbnail (the winner once
    there is one). ``youtube`` is the Data API client."""
    import google_auth_httplib2
    import httplib2
    from googleapiclient.discovery import build
    from googleapiclient.http import MediaFileUpload

    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=120))
    reporting = build("youtubereporting", "v1", http=http, static_discovery=True,
                      cache_discovery=False)
    texts = reach_reports(reporting, http, min(r.start for r in rotations))
    rows = []
    for rotation in rotations:
        daily: dict[date, tuple[int, float]] = {}
        for text in texts:
            daily.update(read_reach_report(text, rotation.youtube_id))
        decision = decide(rotation, daily)
        chosen = thumbnail_for(rotation, decision, today)
        if chosen is not None:
            youtube.thumbnails().set(videoId=rotation.youtube_id, media_body=MediaFileUpload(
                rotation.thumbnails[chosen], mimetype="image/jpeg")).execute(num_retries=3)
            log("video %s shows thumbnail %d", rotation.youtube_id, chosen + 1)
        rows.append((rotation, decision))
    return rows
