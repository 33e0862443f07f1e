"""A progress bar for the long CLI commands (rich, on stderr, only on a terminal: piped or
captured output gets the one-line summaries alone). While it runs, lines printed to stdout
appear above it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pattern_pivot.progress import ProgressEvent, watching


class Bar:
    def __init__(self, progress: Progress, task):
        self._progress, self._task = progress, task

    def advance(self, steps: float = 1, note: str = "") -> None:
        """``steps`` more done; ``note`` says what was just done."""
        self._progress.update(self._task, advance=steps, note=note[:60])

    def set(self, done: float, total: float, note: str = "") -> None:
        """Where a measured task stands (seconds encoded of the total, say)."""
        self._progress.update(self._task, completed=done, total=total, note=note[:60])


@contextmanager
def progress_bar(description: str, total: float | None) -> Iterator[Bar]:
    """A bar for ``total`` steps (None: not known yet)."""
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[note]}"), console=console,
                  disable=not console.is_terminal) as progress:
        yield Bar(progress, progress.add_task(description, total=total, note=""))


@contextmanager
def progress_events_bar(description: str,
                        finished: Callable[[ProgressEvent, float], None]) -> Iterator[None]:
    """A bar fed by the progress events of work running in this process (a Dagster run
    executed in-process): each step moves it, and ``finished(event, seconds it took)`` is
    called as each task (each encode, say) ends."""
    started: dict[str, float] = {}

    with progress_bar(description, None) as bar:
        def step(event: ProgressEvent) -> None:
            began = started.setdefault(event.what, time.monotonic())
            bar.set(round(event.done, 1), round(event.total, 1), event.what)
            if event.finished:
                del started[event.what]
                finished(event, time.monotonic() - began)

        with watching(step):
            yield
