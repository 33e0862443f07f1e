"""Progress lines for long steps: a few per minute, not one per segment, shot or batch."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Often enough that an hour-long video visibly moves, rarely enough to stay readable.
DEFAULT_INTERVAL_S = 15.0


def clock(seconds: float) -> str:
    minutes, rest = divmod(int(max(seconds, 0.0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a long task, as it happens (not throttled)."""

    what: str  # "variant 1 rendered"
    done: float
    total: float
    detail: str  # "0:12 of 0:30, 3 of 8 shots"

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.done >= self.total


_watchers: list[Callable[[ProgressEvent], None]] = []


@contextmanager
def watching(watcher: Callable[[ProgressEvent], None]) -> Iterator[None]:
    """While the block runs, every step of every ``Progress`` in this process also goes to
    ``watcher``: how the CLI draws a bar for a Dagster run it executes in-process (the run's
    own log stays a few lines a minute)."""
    _watchers.append(watcher)
    try:
        yield
    finally:
        _watchers.remove(watcher)


class Progress:
    """Reports ``done`` of ``total`` through ``log`` at most once per ``interval_s`` (the
    first report and the last, done == total, always), and every step to the ``watching``
    watchers."""

    def __init__(self, log: Callable[[str], None], what: str, *,
                 interval_s: float = DEFAULT_INTERVAL_S,
                 now: Callable[[], float] = time.monotonic,
                 describe: Callable[[float, float], str] | None = None):
        self._log, self._what, self._interval, self._now = log, what, interval_s, now
        self._describe = describe or (lambda done, total: f"{done:g} of {total:g}")
        self._last: float | None = None
        self._finished = False

    def __call__(self, done: float, total: float) -> None:
        if self._finished:
            return
        if _watchers:
            event = ProgressEvent(self._what, min(done, total), total,
                                  self._describe(min(done, total), total))
            for watcher in list(_watchers):
                watcher(event)
        finished = total > 0 and done >= total
        now = self._now()
        if not finished and self._last is not None and now - self._last < self._interval:
            return
        self._last, self._finished = now, finished
        percent = 100.0 * min(done / total, 1.0) if total > 0 else 0.0
        self._log(f"{self._what} {percent:.0f}% ({self._describe(min(done, total), total)})")


def audio_progress(log: Callable[[str], None], what: str = "transcribed", **kwargs) -> Progress:
    """Progress through audio: "transcribed 42% (5:02 of 12:00 of audio)"."""
    return Progress(log, what, describe=lambda done, total: f"{clock(done)} of {clock(total)} "
                    "of audio", **kwargs)


def count_progress(log: Callable[[str], None], what: str, unit: str, **kwargs) -> Progress:
    """Progress through items: "embedded 40% (128 of 320 chunks)"."""
    return Progress(log, what, describe=lambda done, total: f"{done:g} of {total:g} {unit}",
                    **kwargs)


def render_progress(log: Callable[[str], None], what: str = "rendered", **kwargs
                    ) -> Callable[[float, float, int, int], None]:
    """Progress through an encode: "rendered 40% (0:12 of 0:30, 3 of 8 shots)". Called with
    (seconds written, total seconds, shots finished, shots)."""
    shots = [0, 0]
    report = Progress(log, what, describe=lambda done, total: (
        f"{clock(done)} of {clock(total)}, {shots[0]} of {shots[1]} shots"), **kwargs)

    def update(done: float, total: float, finished: int, count: int) -> None:
        shots[:] = [finished, count]
        report(done, total)

    return update
