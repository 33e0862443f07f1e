"""A real PostgreSQL server for tests (Debian's binaries in /usr/local/bin), in a temporary
directory, listening on 127.0.0.1 only, with a password; stopped and removed after."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests.s3_support import free_port

BIN = Path(os.environ.get("PATTERN_PIVOT_TEST_PG_BIN", "/usr/local/bin"))


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str
    db: str

    def env(self) -> dict[str, str]:
        """What docker/dagster.yaml reads (the port is not in it: 5432 in the stack)."""
        return {"DAGSTER_POSTGRES_HOST": self.host, "DAGSTER_POSTGRES_USER": self.user,
                "DAGSTER_POSTGRES_PASSWORD": self.password, "DAGSTER_POSTGRES_DB": self.db}


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    base = Path(tempfile.mkdtemp(prefix="pp-pg-"))
    # initdb refuses to run as root: run the server as an unprivileged user.
    as_user: list[str] = []
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(base, nobody.pw_uid, nobody.pw_gid)
        as_user = ["runuser", "-u", "nobody", "--"]
    password = secrets.token_hex(12)
    pwfile = base / "pw"
    pwfile.write_text(password)
    if as_user:
        os.chown(pwfile, pwd.getpwnam("nobody").pw_uid, -1)
    port = free_port()
    data = base / "data"

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    run(str(BIN / "initdb"), "-D", str(data), "-U", "dagster", "--auth=scram-sha-256",
        f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
    run(str(BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60",
        "-o", options, "start")
    try:
        yield Postgres("127.0.0.1", port, "dagster", password, "postgres")
    finally:
        subprocess.run([*as_user, str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
