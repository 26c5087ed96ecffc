"""Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer bodies and hide errors).

- `RequestContextMiddleware` (outermost): gives each request an id (`X-Request-ID`, on every
  response), and turns any exception nothing else handled into a 500 that carries only that id.
  It sits outside Starlette's exception handling on purpose: Starlette's own 500 path runs
  outside user middleware, where the response could not get the id header.
- `BodyLimitMiddleware`: 413 for a declared Content-Length over the limit before the body is
  read, and for a streamed (chunked) body as soon as the bytes received pass it.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_content

log = logging.getLogger("api")

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class PayloadTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


async def send_json(send: Send, status: int, content: dict[str, Any], request_id: str) -> None:
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (_header(scope, b"x-request-id") or b"").decode("latin-1")
        # A caller's id is kept (so a proxy's id follows the request) only if it is harmless
        # in a header and a log line.
        request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "unhandled error in %s %s [request_id=%s]",
                scope.get("method"),
                scope.get("path"),
                request_id,
            )
            if not started:
                content = error_content(
                    request_id,
                    "internal_error",
                    f"internal error; quote request id {request_id} when reporting it",
                )
                await send_json(send, 500, content, request_id)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(scope.get("state", {}).get("request_id", "-"))
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_bytes
            except ValueError:
                too_large = False  # uvicorn's parser refuses a malformed length itself
            if too_large:
                await self._refuse(send, request_id)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises an HTTPException met while reading the body, so the
                    # route never runs; the handler renders it in the error shape.
                    raise PayloadTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except PayloadTooLarge:
            # Read by code that does not turn it into a response (a raw stream consumer).
            if started:
                raise
            await self._refuse(send, request_id)

    async def _refuse(self, send: Send, request_id: str) -> None:
        message = f"the request body is larger than {self.max_bytes} bytes"
        content = error_content(request_id, "payload_too_large", message)
        await send_json(send, 413, content, request_id)
