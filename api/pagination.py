"""limit/offset pagination for every list, with a cap, and the next page's link.

A route takes `page: Pagination` and returns `paginate(session, stmt, page, request, to_item)`:
the statement must have a deterministic ORDER BY (the helper cannot guess one). One row more
than asked for is fetched to know whether there is a next page, so no COUNT(*) is run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import Session

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT}).")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Pagination = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int
    offset: int
    next_offset: int | None
    next: str | None  # the URL of the next page (this request's query, offset moved on)


def page_of(rows: Sequence[T], page: PageParams, request: Request) -> Page[T]:
    """A Page from up to `limit + 1` rows fetched at `page.offset`."""
    more = len(rows) > page.limit
    next_offset = page.offset + page.limit if more else None
    next_url = (
        str(request.url.include_query_params(limit=page.limit, offset=next_offset))
        if next_offset is not None
        else None
    )
    return Page[T](
        items=list(rows[: page.limit]),
        limit=page.limit,
        offset=page.offset,
        next_offset=next_offset,
        next=next_url,
    )


def paginate(
    session: Session,
    stmt: Select[Any],
    page: PageParams,
    request: Request,
    to_item: Callable[[Any], T],
) -> Page[T]:
    rows = session.scalars(stmt.limit(page.limit + 1).offset(page.offset)).all()
    return page_of([to_item(r) for r in rows], page, request)


def json_response(model: BaseModel) -> Response:
    """`model` as the JSON FastAPI would send for it, serialised here in the route's thread.
    Returned from a sync route, a model makes FastAPI validate it again in one more thread hop
    before serialising; a Response is sent as it is. The route keeps its `response_model` for
    the OpenAPI document."""
    return Response(model.model_dump_json(), media_type="application/json")
