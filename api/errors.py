"""One error shape for every response that is not a success:

    {"error": {"code": "...", "message": "...", "fields": [{"path": "...", "reason": "..."}],
               "request_id": "..."}}

Validation problems (pydantic's, and the product's own `InvalidInput`) are 422 with one entry per
field; an illegal lifecycle change is 409; anything unexpected is a 500 that carries the request
id and nothing else — the traceback goes to the server's log under the same id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from planner.lifecycle import IllegalTransition
from planner.problems import InvalidInput, Problem

log = logging.getLogger("api")

# Status codes Starlette or FastAPI raise by themselves (unknown path, wrong method, ...).
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class FieldError(BaseModel):
    path: str
    reason: str
    line: int | None = None  # the file's line (header = line 1) for an import's problem


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldError] = []
    request_id: str


class ErrorBody(BaseModel):
    """What every error response holds (documented in the OpenAPI schema)."""

    error: ErrorDetail


class ApiError(Exception):
    """Raised anywhere in a request; rendered as the error shape with `status`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.fields = list(fields)
        self.headers = dict(headers or {})


def not_found(what: str = "resource") -> ApiError:
    """The answer for a missing id and for another user's id alike (never 403)."""
    return ApiError(404, f"{what} not found")


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def error_content(
    request_id: str, code: str, message: str, fields: Iterable[FieldError] = ()
) -> dict[str, Any]:
    detail = ErrorDetail(code=code, message=message, fields=list(fields), request_id=request_id)
    return ErrorBody(error=detail).model_dump(exclude_none=True)


def error_response(
    request: Request,
    status: int,
    message: str,
    *,
    code: str | None = None,
    fields: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    content = error_content(
        request_id_of(request), code or _CODES.get(status, "error"), message, fields
    )
    return JSONResponse(content, status_code=status, headers=dict(headers or {}))


def pydantic_fields(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    fields = []
    for error in errors:
        path = ".".join(str(part) for part in error.get("loc", ())) or "(request)"
        reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        fields.append(FieldError(path=path, reason=reason))
    return fields


def problem_fields(problems: Iterable[Problem]) -> list[FieldError]:
    return [
        FieldError(path=p.field or p.source or "(input)", reason=p.reason, line=p.line)
        for p in problems
    ]


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        request, exc.status, exc.message, code=exc.code, fields=exc.fields, headers=exc.headers
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = pydantic_fields(exc.errors())
    return error_response(request, 422, "the request is not valid", fields=fields)


async def _invalid_input(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInput)
    fields = problem_fields(exc.problems)
    message = "the input is not valid; nothing was changed"
    return error_response(request, 422, message, fields=fields)


async def _illegal_transition(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IllegalTransition)
    return error_response(request, 409, str(exc), code="illegal_transition")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404:
        message = "not found"  # Starlette's "Not Found" for an unknown path, in our words
    return error_response(request, exc.status_code, message, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(IllegalTransition, _illegal_transition)
    app.add_exception_handler(StarletteHTTPException, _http_error)


# The error responses every route may give, for the OpenAPI document.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, or a token that is not valid"},
    404: {"model": ErrorBody, "description": "No such resource (or not yours)"},
    422: {"model": ErrorBody, "description": "Invalid input, with the field paths"},
    429: {"model": ErrorBody, "description": "Too many requests (see Retry-After)"},
}
