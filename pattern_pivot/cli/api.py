"""`pattern-pivot api`: the HTTP API and creator page (FastAPI on uvicorn), on 127.0.0.1 by
default."""

from __future__ import annotations

import os

import typer

from pattern_pivot.cli.main import app, exit_with_error
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.settings import EnvReader, Settings


@app.command()
def api(host: str = typer.Option("127.0.0.1", help="Address to bind (anything but loopback "
                                 "needs PATTERN_PIVOT_API_KEY_SHA256)."),
        port: int = typer.Option(8000, help="Port."),
        workers: int = typer.Option(None, help="Jobs run at once (default "
                                    "PATTERN_PIVOT_API_WORKERS or 1; 0 only queues).")) -> None:
    """Serve the HTTP API (docs at /docs) and the creator page (/)."""
    import uvicorn

    from pattern_pivot.api.app import ApiConfig, create_app
    from pattern_pivot.api.security import RATE_ENV, check_bind, read_key_hashes

    env = EnvReader()
    try:
        hashes = read_key_hashes()
        check_bind(host, hashes)
        config = ApiConfig(
            host=host, key_hashes=hashes,
            max_upload_bytes=env.whole_number("PATTERN_PIVOT_API_MAX_UPLOAD_MB", 4096) * 1024**2,
            rate_per_minute=env.whole_number(RATE_ENV, 600),
            workers=workers if workers is not None else _workers())
        if env.problems:
            raise env.problems[0]
        application = create_app(Settings.from_env(), config)
    except PatternPivotError as exc:
        exit_with_error(exc)
    typer.echo(f"PatternPivot API on http://{host}:{port}  (docs: /docs, page: /)", err=True)
    uvicorn.run(application, host=host, port=port, log_level="info", access_log=False)


def _workers() -> int:
    value = os.environ.get("PATTERN_PIVOT_API_WORKERS", "").strip()
    if not value:
        return 1
    if not value.isdigit():
        raise PatternPivotError(f"PATTERN_PIVOT_API_WORKERS={value!r}", "is not a whole number",
                                "set it to 0 (queue only), 1 or more")
    return int(value)
