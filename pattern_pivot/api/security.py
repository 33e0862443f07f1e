"""Who may call the API, and how often.

- API keys: the server holds only their SHA-256 hashes (``PATTERN_PIVOT_API_KEY_SHA256``,
  comma-separated); a presented key (``X-API-Key`` or ``Authorization: Bearer``, or the
  creator page's HttpOnly cookie) is hashed and compared in constant time with each.
- No key at all is allowed only on a loopback address, and then only for requests whose
  Host is loopback (a DNS-rebinding page cannot reach it) and whose Origin, when a browser
  sends one, is this server (another site cannot post to it).
- A token bucket per client (key hash, else address) bounds the request rate.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import threading
import time
from dataclasses import dataclass

from pattern_pivot.errors import PatternPivotError

KEYS_ENV = "PATTERN_PIVOT_API_KEY_SHA256"
RATE_ENV = "PATTERN_PIVOT_API_RATE_PER_MINUTE"
COOKIE = "pattern_pivot_key"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_key_hashes(value: str | None = None) -> tuple[str, ...]:
    raw = os.environ.get(KEYS_ENV, "") if value is None else value
    hashes = tuple(h.strip().lower() for h in raw.split(",") if h.strip())
    bad = [h for h in hashes if not _HEX64.match(h)]
    if bad:
        raise PatternPivotError(f"{KEYS_ENV}", f"holds {len(bad)} value(s) that are not "
                                "SHA-256 hex digests (64 hex characters)",
                                "store the hash, never the key: printf %s \"$KEY\" | sha256sum")
    return hashes


def check_bind(host: str, hashes: tuple[str, ...]) -> None:
    """Refuse to serve without keys anywhere but loopback."""
    if not hashes and not is_loopback(host):
        raise PatternPivotError(f"--host {host}", "is reachable from other machines and no "
                                "API key is configured", f"set {KEYS_ENV} (the SHA-256 of each "
                                "key) or bind to 127.0.0.1")


@dataclass(frozen=True)
class Caller:
    identity: str  # the key's hash prefix, or the client address
    authenticated: bool


class Keys:
    def __init__(self, hashes: tuple[str, ...]):
        self.hashes = hashes

    @property
    def required(self) -> bool:
        return bool(self.hashes)

    def match(self, presented: str | None) -> str | None:
        """The matching stored hash, compared in constant time with every stored one."""
        if not presented:
            return None
        digest = key_hash(presented)
        found = None
        for stored in self.hashes:  # no early exit: timing says nothing of which matched
            if hmac.compare_digest(digest, stored):
                found = stored
        return found


def presented_key(headers, cookies) -> str | None:
    key = headers.get("x-api-key")
    auth = headers.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    return key or cookies.get(COOKIE)


def host_name(host_header: str) -> str:
    """``127.0.0.1:8000`` / ``[::1]:8000`` -> the host part."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def same_origin(origin: str | None, host_header: str) -> bool:
    """A browser's Origin names this server (or there is none: not a browser)."""
    if not origin:
        return True
    return origin.split("://", 1)[-1].rstrip("/") == host_header


class RateLimiter:
    """Token bucket per identity: ``per_minute`` sustained, bursts up to ``burst``."""

    def __init__(self, per_minute: int, burst: int | None = None,
                 now=time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = burst or max(10, per_minute // 6)
        self.now = now
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, identity: str) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        with self._lock:
            now = self.now()
            tokens, last = self._buckets.get(identity, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[identity] = (tokens - 1.0, now)
                return 0.0
            self._buckets[identity] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget idle clients
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 600}
            return (1.0 - tokens) / self.rate
