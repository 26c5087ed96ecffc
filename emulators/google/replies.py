"""Google's answer shapes: Calendar's error JSON, OAuth's error JSON, injected faults."""

from __future__ import annotations

import json
from http import HTTPStatus

from emulators.google.entities import ApiError
from emulators.serving import Reply

DEFAULT_REASONS = {
    400: "badRequest",
    401: "authError",
    403: "rateLimitExceeded",
    404: "notFound",
    409: "duplicate",
    410: "deleted",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "backendError",
    502: "backendError",
    503: "backendError",
}


def json_reply(status: int, payload: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode("utf-8"), dict(headers or {}))


def error_reply(err: ApiError) -> Reply:
    payload = {
        "error": {
            "code": err.status,
            "message": err.message,
            "errors": [{"domain": err.domain, "reason": err.reason, "message": err.message}],
        }
    }
    return json_reply(err.status, payload, err.headers)


def fault_reply(
    status: int, reason: str | None, retry_after: float | None, *, oauth: bool = False
) -> Reply:
    headers = {"Retry-After": seconds(retry_after)} if retry_after is not None else {}
    if oauth:
        # The token endpoint speaks OAuth's error shape, not Calendar's.
        oauth_reply = oauth_error(status, reason or "temporarily_unavailable", "Injected fault")
        oauth_reply.headers.update(headers)
        return oauth_reply
    why = reason or DEFAULT_REASONS.get(status, "backendError")
    message = "Rate Limit Exceeded" if "RateLimit" in why or why == "rateLimitExceeded" else why
    return error_reply(ApiError(status, why, message, headers=headers))


def oauth_error(status: int, error: str, description: str) -> Reply:
    return json_reply(status, {"error": error, "error_description": description})


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"
