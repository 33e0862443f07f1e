"""A DynamoDB-compatible server for tests (moto's, on 127.0.0.1) and a proxy in front of it
that records the operations it forwards, answers PutItem with DynamoDB's real
ProvisionedThroughputExceeded error, and can deny operations as a least-privilege IAM role
does."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Iterator

from moto.server import ThreadedMotoServer

from tests.http_support import LocalServer


def access_denied(operation: str) -> dict:
    return {"__type": "com.amazon.coral.service#AccessDeniedException",
            "Message": "User: arn:aws:sts::123456789012:assumed-role/pattern-pivot/stats is not "
            f"authorized to perform: dynamodb:{operation} on resource: "
            "arn:aws:dynamodb:us-east-1:123456789012:table/* because no identity-based "
            "policy allows the dynamodb:" + operation + " action"}


THROTTLED = {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
             "message": "The level of configured provisioned throughput for the table was "
             "exceeded. Consider increasing your provisioning level with the UpdateTable API."}


@contextmanager
def moto_dynamodb() -> Iterator[str]:
    """moto's server (DynamoDB's real HTTP API) on 127.0.0.1; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


class ThrottlingProxy(LocalServer):
    """Forwards every request to ``upstream``, except that the next ``throttle_puts`` PutItem
    calls are refused with HTTP 400 ProvisionedThroughputExceededException and operations in
    ``deny`` with HTTP 400 AccessDeniedException. ``operations`` lists every call's name."""

    def __init__(self, upstream: str, throttle_puts: int = 0, deny: frozenset[str] = frozenset()):
        self.upstream = upstream.rstrip("/")
        self.throttle_puts = throttle_puts
        self.throttled = 0
        self.deny = set(deny)
        self.operations: list[str] = []
        self._lock = threading.Lock()  # the store writes rows from several threads
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                target = self.headers.get("X-Amz-Target", "")
                operation = target.rsplit(".", 1)[-1]
                proxy.operations.append(operation)
                if operation in proxy.deny:
                    return self._send(400, json.dumps(access_denied(operation)).encode(), {
                        "x-amzn-ErrorType": "AccessDeniedException"})
                if operation == "PutItem" and proxy._take_throttle():
                    return self._send(400, json.dumps(THROTTLED).encode(), {
                        "x-amzn-ErrorType": "ProvisionedThroughputExceededException"})
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length")}
                request = urllib.request.Request(proxy.upstream + self.path, data=body,
                                                 headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, data, extra = response.status, response.read(), response.headers
                except urllib.error.HTTPError as exc:
                    status, data, extra = exc.code, exc.read(), exc.headers
                self._send(status, data, {k: v for k, v in extra.items()
                                          if k.lower().startswith("x-amz")})

            def _send(self, status: int, data: bytes, headers: dict) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)

    def _take_throttle(self) -> bool:
        with self._lock:
            if self.throttle_puts <= 0:
                return False
            self.throttle_puts -= 1
            self.throttled += 1
            return True

    @property
    def url(self) -> str:
        return self.root_url
