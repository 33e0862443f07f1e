"""File names that are not valid UTF-8.

On Linux a file name is bytes; Python hands back the bytes that are not UTF-8 as lone
surrogates ("surrogateescape"). Such a str cannot be written to SQLite, JSON logs or a UTF-8
terminal, so anything that prints or stores a name uses ``printable`` first.
"""

from __future__ import annotations

import os
from pathlib import Path


def is_utf8_name(name: str | Path) -> bool:
    try:
        str(name).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(name: str | Path) -> str:
    """The name with each undecodable byte written as ``\\xNN`` (valid UTF-8 unchanged)."""
    return os.fsencode(str(name)).decode("utf-8", "backslashreplace")
