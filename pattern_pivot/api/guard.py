"""The ASGI middleware in front of every ``/api/`` path: the checks of ``security`` (host,
origin, key, rate) and a bound on JSON bodies, before any endpoint runs. Plain ASGI rather
than Starlette's BaseHTTPMiddleware, which costs every request a task and a body copy."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from pattern_pivot.api.security import (
    Keys,
    RateLimiter,
    host_name,
    is_loopback,
    presented_key,
    same_origin,
)

MAX_JSON_BYTES = 256 * 1024  # a remix request with a 20,000-character story fits easily
STREAMED = ("/api/upload-video",)  # bounded by the upload limit as it streams


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


class Guard:
    def __init__(self, app, keys: Keys, limiter: RateLimiter):
        self.app, self.keys, self.limiter = app, keys, limiter

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            refusal = self.refusal(Request(scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, request: Request) -> JSONResponse | None:
        path, method = request.url.path, request.method
        host_header = request.headers.get("host", "")
        if not self.keys.required and not is_loopback(host_name(host_header)):
            return _error(403, f"Host {host_header[:100]!r} is not this loopback server. Fix: "
                          "open http://127.0.0.1 (no API key is configured, so only loopback "
                          "names are served)")
        if method not in ("GET", "HEAD", "OPTIONS") and not same_origin(
                request.headers.get("origin"), host_header):
            return _error(403, "cross-site request refused. Fix: call the API from this "
                          "server's own page or from a script (no Origin header)")
        identity = request.client.host if request.client else "?"
        if self.keys.required and path != "/api/session":
            matched = self.keys.match(presented_key(request.headers, request.cookies))
            if matched is None:
                return _error(401, "missing or wrong API key. Fix: send it as X-API-Key "
                              "(or Authorization: Bearer KEY)")
            identity = "key:" + matched[:12]
        wait = self.limiter.allow(identity)
        if wait:
            return _error(429, f"too many requests. Fix: retry in {wait:.1f} s",
                          {"Retry-After": str(max(1, round(wait)))})
        if method in ("POST", "PUT", "PATCH") and path not in STREAMED:
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return _error(411, "a JSON body needs a Content-Length")
            if int(length) > MAX_JSON_BYTES:
                return _error(413, f"request body over {MAX_JSON_BYTES:,} bytes")
        return None
