"""Google's batch wire format: multipart/mixed of `application/http` parts.

Each request part carries `Content-ID: <base + N>` and a whole HTTP request as its payload; each
response part must echo `Content-ID: <response-base + N>` and hold a whole HTTP response.
google-api-python-client splits the response part at the first CRLF CRLF to find the body, so
the parts written here use CRLF throughout.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser


@dataclass(frozen=True)
class BatchPart:
    content_id: str  # without the angle brackets
    method: str
    target: str  # path + query, as written in the request line
    headers: dict[str, str]  # lower-case names
    body: bytes


def parse_request(content_type: str, body: bytes) -> list[BatchPart]:
    if "multipart/mixed" not in content_type.lower() or "boundary" not in content_type.lower():
        raise ValueError("expected multipart/mixed with a boundary")
    envelope = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = BytesParser().parsebytes(envelope)
    if not message.is_multipart():
        raise ValueError("no parts")
    parts: list[BatchPart] = []
    for part in message.get_payload():
        if not isinstance(part, Message):
            raise ValueError("bad part")
        parts.append(_parse_part(part))
    return parts


def _parse_part(part: Message) -> BatchPart:
    raw_id = str(part.get("Content-ID", "")).strip()
    if not (raw_id.startswith("<") and raw_id.endswith(">")):
        raise ValueError("part without Content-ID")
    payload = part.get_payload(decode=False)
    if not isinstance(payload, str):
        raise ValueError("nested multipart part")
    text = payload.replace("\r\n", "\n")
    head, _, body_text = text.partition("\n\n")
    request_line, *header_lines = head.split("\n")
    pieces = request_line.split(" ")
    if len(pieces) < 2:
        raise ValueError(f"bad request line {request_line!r}")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    # No truncation by Content-Length: the client counts characters of a str body, not bytes.
    body = body_text.encode("utf-8")
    return BatchPart(
        content_id=raw_id[1:-1],
        method=pieces[0].upper(),
        target=pieces[1],
        headers=headers,
        body=body,
    )


def render_response(
    answers: list[tuple[str, int, str, dict[str, str], str, bytes]],
) -> tuple[str, bytes]:
    """answers: (content_id, status, reason phrase, headers, content type, body) per part."""
    boundary = "batch_" + secrets.token_hex(12)
    chunks: list[bytes] = []
    for content_id, status, phrase, headers, content_type, body in answers:
        lines = [
            f"--{boundary}",
            "Content-Type: application/http",
            f"Content-ID: <response-{content_id}>",
            "",
            f"HTTP/1.1 {status} {phrase}",
        ]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        lines.append(f"Content-Length: {len(body)}")
        lines.extend(["", ""])
        chunks.append("\r\n".join(lines).encode("utf-8") + body + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return boundary, b"".join(chunks)
