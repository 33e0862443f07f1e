"""Build the run-health report from plain records of runs, their failed and retried steps,
failing sensor/schedule ticks and what has ever materialised. No Dagster here: the adapter
(pattern_pivot/cli/report.py) reads the instance and hands over these records.

Every string is redacted on the way in (``redact``), so nothing downstream (Markdown, JSON,
the optional LLM summary) can show a secret that an error message happened to quote."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone

from pattern_pivot.health.redact import redact

MAX_LINE = 240  # characters of an error's first line shown in a table cell
WHOLE_RUN = "(run)"  # the "asset" of a failure outside any step (launch, dead worker)


@dataclass(frozen=True)
class StepProblem:
    """One failed or retried step: its asset (the op of an asset is named after it), the
    error message, and, for errors a user can fix, the fix and the problem."""

    asset: str
    error: str
    fix: str | None = None
    cause: str | None = None  # the problem (PatternPivotError) or the error's class


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    job: str
    status: str  # "SUCCESS", "FAILURE", "CANCELED", ...
    partition: str | None
    title: str | None
    at: float  # when the run was created (epoch seconds)
    failures: tuple[StepProblem, ...] = ()
    retries: tuple[StepProblem, ...] = ()  # one per step attempt that went up for retry
    retry_of: str | None = None  # the run this one re-executes


@dataclass(frozen=True)
class TickFailures:
    """A sensor or schedule whose ticks failed in the window."""

    name: str
    kind: str  # "sensor" or "schedule"
    failures: int
    last_error: str
    last_at: float


@dataclass(frozen=True)
class FailedStep:
    run_id: str
    job: str
    partition: str | None
    title: str | None
    asset: str
    first_line: str
    fix: str | None
    cause: str
    at: float


@dataclass(frozen=True)
class Cause:
    cause: str
    fix: str | None
    count: int
    partitions: tuple[str, ...]


@dataclass(frozen=True)
class Retried:
    run_id: str
    job: str
    partition: str | None
    title: str | None
    asset: str
    retries: int
    outcome: str  # "recovered" or "failed"
    first_line: str


@dataclass(frozen=True)
class StuckPartition:
    asset: str
    partition: str | None
    title: str | None
    failures: int
    first_line: str
    fix: str | None


@dataclass
class HealthReport:
    days: float
    since: float
    until: float
    runs_seen: int
    failed: list[FailedStep]
    causes: list[Cause]
    retried: list[Retried]
    failing_ticks: list[TickFailures]
    stuck: list[StuckPartition]
    summary: str | None = None
    summarised_by: str | None = None
    failed_runs: int = field(default=0)

    @property
    def all_well(self) -> bool:
        return not (self.failed or self.retried or self.failing_ticks or self.stuck)

    def headline(self) -> str:
        if self.all_well:
            return (f"All is well: {_count(self.runs_seen, 'run')} in the window, none failed "
                    "or retried; no sensor or schedule is failing; nothing is stuck.")
        parts = [_count(self.failed_runs, "failed run"),
                 _count(len(self.retried), "retried step"),
                 _count(len(self.failing_ticks), "failing sensor/schedule",
                        "failing sensors/schedules"),
                 _count(len(self.stuck), "partition that never succeeded",
                        "partitions that never succeeded")]
        return f"{', '.join(parts)} (of {_count(self.runs_seen, 'run')} in the window)."

    def to_dict(self) -> dict:
        return {"days": self.days, "since": _iso(self.since), "until": _iso(self.until),
                "all_well": self.all_well, "headline": self.headline(),
                "runs_seen": self.runs_seen, "failed_runs": self.failed_runs,
                "failed": [asdict(f) | {"at": _iso(f.at)} for f in self.failed],
                "causes": [asdict(c) for c in self.causes],
                "retried": [asdict(r) for r in self.retried],
                "failing_ticks": [asdict(t) | {"last_at": _iso(t.last_at)}
                                  for t in self.failing_ticks],
                "stuck": [asdict(s) for s in self.stuck],
                "summary": self.summary, "summarised_by": self.summarised_by}

    def markdown(self) -> str:
        out = [f"# Run health: the last {self.days:g} day(s)",
               f"{_iso(self.since)} to {_iso(self.until)} (UTC)", "", f"**{self.headline()}**"]
        if self.summary:
            out += ["", f"## Summary (by {self.summarised_by})", "", self.summary]
        if self.failed:
            out += ["", "## Failed runs", "",
                    *_table(("when", "job", "partition", "asset", "first error line", "fix"),
                            [(_iso(f.at), f.job, _partition(f.partition, f.title), f.asset,
                              f.first_line, f.fix or "-") for f in self.failed])]
        if self.causes:
            out += ["", "## Causes, most frequent first", "",
                    *_table(("times", "cause", "fix", "partitions"),
                            [(str(c.count), c.cause, c.fix or "-",
                              ", ".join(c.partitions) or "-") for c in self.causes])]
        if self.retried:
            out += ["", "## Retried", "",
                    *_table(("run", "partition", "asset", "retries", "outcome", "error"),
                            [(r.run_id[:8], _partition(r.partition, r.title), r.asset,
                              str(r.retries), r.outcome, r.first_line) for r in self.retried])]
        if self.failing_ticks or self.stuck:
            out += ["", "## Stuck"]
        if self.failing_ticks:
            out += ["", "### Sensors and schedules whose ticks fail", "",
                    *_table(("name", "kind", "failed ticks", "last failure", "last error"),
                            [(t.name, t.kind, str(t.failures), _iso(t.last_at), t.last_error)
                             for t in self.failing_ticks])]
        if self.stuck:
            out += ["", "### Partitions that never succeeded", "",
                    *_table(("asset", "partition", "failures", "last error", "fix"),
                            [(s.asset, _partition(s.partition, s.title), str(s.failures),
                              s.first_line, s.fix or "-") for s in self.stuck])]
        return "\n".join(out) + "\n"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def _partition(partition: str | None, title: str | None) -> str:
    if partition is None:
        return "-"
    return f"{partition} ({title})" if title else partition


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)]


def first_line(error: str, fix: str | None = None) -> str:
    """The error's first non-empty line, without the ``Fix: ...`` the fix column shows."""
    line = next((ln.strip() for ln in error.splitlines() if ln.strip()), "(no message)")
    if fix and line.endswith(f"Fix: {fix}"):
        line = line[:-len(f"Fix: {fix}")].rstrip(" .") + "."
    return line if len(line) <= MAX_LINE else line[:MAX_LINE - 1] + "…"


_VARYING = re.compile(r"(/[^\s:'\"]+)|\b[0-9a-f]{8,}\b|\d+(\.\d+)?")


def cause_key(cause: str) -> str:
    """Causes that differ only in paths, ids and numbers are one cause."""
    return _VARYING.sub("#", cause.lower()).strip()


def _redacted(run: RunRecord, secrets: tuple[str, ...]) -> RunRecord:
    def clean(p: StepProblem) -> StepProblem:
        return StepProblem(p.asset, redact(p.error, secrets),
                           redact(p.fix, secrets) if p.fix else None,
                           redact(p.cause, secrets) if p.cause else None)
    return replace(run, title=redact(run.title, secrets) if run.title else None,
                   failures=tuple(map(clean, run.failures)),
                   retries=tuple(map(clean, run.retries)))


def build_report(runs: list[RunRecord], ticks: list[TickFailures],
                 succeeded: set[tuple[str, str | None]], *, since: float, until: float,
                 secrets: tuple[str, ...] = ()) -> HealthReport:
    """``succeeded``: the (asset, partition) pairs that have ever materialised, for the
    failures' pairs; a failed pair missing from it never succeeded."""
    runs = sorted((_redacted(r, secrets) for r in runs), key=lambda r: r.at)
    ticks = [replace(t, last_error=first_line(redact(t.last_error, secrets))) for t in ticks]
    failed = [FailedStep(r.run_id, r.job, r.partition, r.title, p.asset,
                         first_line(p.error, p.fix), p.fix,
                         p.cause or first_line(p.error, p.fix), r.at)
              for r in runs for p in r.failures]
    groups: dict[tuple[str, str | None], list[FailedStep]] = {}
    for f in failed:
        groups.setdefault((cause_key(f.cause), f.fix), []).append(f)
    causes = sorted((Cause(items[0].cause, fix, len(items),
                           tuple(dict.fromkeys(i.partition for i in items if i.partition)))
                     for (_, fix), items in groups.items()), key=lambda c: -c.count)
    retried = []
    for r in runs:
        per_asset = Counter(p.asset for p in r.retries)
        for asset, n in per_asset.items():
            last = [p for p in r.retries if p.asset == asset][-1]
            outcome = "failed" if any(p.asset == asset for p in r.failures) else "recovered"
            retried.append(Retried(r.run_id, r.job, r.partition, r.title, asset, n, outcome,
                                   first_line(last.error, last.fix)))
    for r in runs:  # whole-run re-executions (Dagster's run retries, "re-execute" in the UI)
        if r.retry_of:
            retried.append(Retried(r.run_id, r.job, r.partition, r.title, WHOLE_RUN, 1,
                                   "recovered" if r.status == "SUCCESS" else r.status.lower(),
                                   f"re-execution of run {r.retry_of[:8]}"))
    stuck: dict[tuple[str, str | None], StuckPartition] = {}
    for f in failed:
        key = (f.asset, f.partition)
        if f.asset == WHOLE_RUN or key in succeeded:
            continue
        before = stuck.get(key)
        stuck[key] = StuckPartition(f.asset, f.partition, f.title,
                                    (before.failures if before else 0) + 1, f.first_line, f.fix)
    return HealthReport(days=round((until - since) / 86400, 3), since=since, until=until,
                        runs_seen=len(runs), failed=failed, causes=causes, retried=retried,
                        failing_ticks=sorted(ticks, key=lambda t: -t.failures),
                        stuck=list(stuck.values()),
                        failed_runs=len({f.run_id for f in failed}))
