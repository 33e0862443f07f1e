"""A long-lived Milvus Lite server for one data file, and how searches find it.

Every one-off `pattern-pivot search` opens the Milvus Lite file, reads the ids and the
persisted index of every segment (see ``lite_reader``) and closes it again. For many
searches in a row, keep the file open in one process instead:

    python -m pattern_pivot.retrieval.lite_server          # serves <data dir>/milvus.db

It binds 127.0.0.1 only, on a free port, and writes ``milvus.db.server.json`` (pid, port,
the file it serves) beside the file, removed when it stops (Ctrl-C or SIGTERM). While it
holds the file, nothing else can open it, so every use of the store (`search`, which says
so, ingest's writes, the LangChain retriever; ``MilvusChunkStore.live_uri``) reads that note
and goes through the server instead. A note is trusted only if it belongs to this user,
names this file, its process is alive and its port answers on 127.0.0.1; a stale note is
ignored.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
HOST = "127.0.0.1"


@dataclass(frozen=True)
class RunningServer:
    uri: str
    pid: int


def note_path(db_path: str | Path) -> Path:
    path = Path(db_path).absolute()
    return path.with_name(path.name + ".server.json")


def running_server(uri: str) -> RunningServer | None:
    """The live server that holds the Milvus Lite file ``uri``, if its note checks out."""
    if not uri.endswith(".db"):
        return None  # already a server URL (or not a Lite file at all)
    note = note_path(uri)
    try:
        if note.stat().st_uid != os.getuid():
            return None  # someone else's note: never send our queries to their port
        info = json.loads(note.read_text())
        pid, port, served = int(info["pid"]), int(info["port"]), str(info["db"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if served != str(Path(uri).absolute()) or not 0 < port < 65536 or not _alive(pid):
        return None
    with socket.socket() as probe:
        probe.settimeout(1.0)
        if probe.connect_ex((HOST, port)) != 0:
            return None
    return RunningServer(f"http://{HOST}:{port}", pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process took the pid: not ours
    return pid > 0


def serve(db_path: str, port: int = 0, ready: threading.Event | None = None,
          stop: threading.Event | None = None) -> None:
    """Serve ``db_path`` on 127.0.0.1 until ``stop`` is set (or SIGTERM/SIGINT)."""
    from milvus_lite.adapter.grpc.server import start_server_in_thread

    db_file = str(Path(db_path).absolute())
    Path(db_file).parent.mkdir(parents=True, exist_ok=True)
    server, db, bound = start_server_in_thread(data_dir=db_file, host=HOST, port=port)
    note = note_path(db_file)
    stop = stop or threading.Event()
    try:
        tmp = note.with_name(note.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"pid": os.getpid(), "port": bound, "db": db_file}, out)
        os.replace(tmp, note)  # atomic: a reader sees no note or a whole one
        log.info("serving %s at http://%s:%d (note %s)", db_file, HOST, bound, note)
        if ready is not None:
            ready.set()
        stop.wait()
    finally:
        try:  # remove the note only while it is still ours
            if json.loads(note.read_text()).get("pid") == os.getpid():
                note.unlink()
        except (OSError, ValueError):
            pass
        server.stop(grace=2).wait()
        db.close()


def main(argv: list[str] | None = None) -> int:
    from pattern_pivot.settings import Settings

    ap = argparse.ArgumentParser(description="Serve the Milvus Lite file to searches on "
                                             "127.0.0.1 and keep it open.")
    ap.add_argument("--db", help="the Milvus Lite file (default: <data dir>/milvus.db, or "
                                 "PATTERN_PIVOT_MILVUS_URI when that is a file)")
    ap.add_argument("--port", type=int, default=0, help="default: any free port")
    args = ap.parse_args(argv)
    db_path = args.db or Settings.from_env().vector_uri
    if not db_path.endswith(".db"):
        print(f"error: {db_path!r} is not a Milvus Lite file (*.db). Fix: pass --db "
              "var/milvus.db, or use the Milvus server it names directly", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    serve(db_path, args.port, stop=stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
