"""Notion property values as the API checks and renders them: rich text, dates, empty values,
and the filters and sorts of a data-source query."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulators.notion.common import (
    _DEFAULT_ANNOTATIONS,
    MAX_ARRAY_ITEMS,
    MAX_PAGE_SIZE,
    MAX_TEXT_CHARS,
    Json,
    normalize_id,
    parse_instant,
    validation_error,
)
from emulators.notion.entities import DataSource, Page


def _property_name(props: dict[str, Json], key: str) -> str | None:
    if key in props:
        return key
    for name, prop in props.items():
        if prop["id"] == key:
            return name
    return None


def empty_value(schema: Json) -> Any:
    kind = schema["type"]
    if kind in {"title", "rich_text", "multi_select"}:
        return []
    if kind == "status":
        options = schema["status"]["options"]
        if options:
            first = options[0]
            return {"id": first["id"], "name": first["name"], "color": first["color"]}
        return None
    return None


def check_array(items: list[Any], *, path: str) -> None:
    if len(items) > MAX_ARRAY_ITEMS:
        raise validation_error(
            f"{path}.length should be ≤ `{MAX_ARRAY_ITEMS}`, instead was `{len(items)}`."
        )


def rich_text_response(contents: Iterable[str]) -> list[Json]:
    return [
        {
            "type": "text",
            "text": {"content": c, "link": None},
            "annotations": dict(_DEFAULT_ANNOTATIONS),
            "plain_text": c,
            "href": None,
        }
        for c in contents
    ]


def convert_rich_text(raw: Any, *, path: str) -> list[Json]:
    if not isinstance(raw, list):
        raise validation_error(f"{path} should be an array")
    check_array(raw, path=path)
    contents: list[str] = []
    for i, item in enumerate(raw):
        text = item.get("text") if isinstance(item, dict) else None
        content = text.get("content") if isinstance(text, dict) else None
        if not isinstance(content, str):
            raise validation_error(f"{path}[{i}].text.content should be a string")
        if len(content) > MAX_TEXT_CHARS:
            raise validation_error(
                f"{path}[{i}].text.content.length should be ≤ `{MAX_TEXT_CHARS}`, "
                f"instead was `{len(content)}`."
            )
        contents.append(content)
    return rich_text_response(contents)


def convert_date(raw: Any, *, path: str) -> Json | None:
    """Store a date the way Notion returns it: offsets in the string, `time_zone` null."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("start"), str):
        raise validation_error(f"{path}.start should be a string")
    zone_name = raw.get("time_zone")
    zone: ZoneInfo | None = None
    if zone_name is not None:
        try:
            zone = ZoneInfo(str(zone_name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise validation_error(f"{path}.time_zone is not a valid IANA time zone") from exc

    def render(value: str, part: str) -> str:
        if len(value) == 10:
            parse_instant(value, field_name=f"{path}.{part}")
            return value
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise validation_error(f"{path}.{part} should be a valid ISO 8601 date") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone or UTC)
        return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")

    start = render(raw["start"], "start")
    end_raw = raw.get("end")
    end = render(end_raw, "end") if isinstance(end_raw, str) else None
    if end is not None and parse_instant(end, field_name="end") < parse_instant(
        start, field_name="start"
    ):
        raise validation_error(f"{path}: the end date is before the start date")
    return {"start": start, "end": end, "time_zone": None}


# ----------------------------------------------------------------------------- filters/sorts

Predicate = Callable[[Page], bool]

_TEXT_KINDS = frozenset({"title", "rich_text"})


def compile_filter(ds: DataSource, raw: Any) -> Predicate:
    if raw is None:
        return lambda _page: True
    if not isinstance(raw, dict):
        raise validation_error("body.filter should be an object")
    if "and" in raw or "or" in raw:
        op = "and" if "and" in raw else "or"
        parts = raw[op]
        if not isinstance(parts, list):
            raise validation_error(f"body.filter.{op} should be an array")
        check_array(parts, path=f"body.filter.{op}")
        predicates = [compile_filter(ds, part) for part in parts]
        if op == "and":
            return lambda page: all(p(page) for p in predicates)
        return lambda page: any(p(page) for p in predicates)
    if "timestamp" in raw:
        return _timestamp_filter(raw)
    if "property" in raw:
        return _property_filter(ds, raw)
    raise validation_error("body.filter should be a property, timestamp or compound filter")


def _timestamp_filter(raw: Json) -> Predicate:
    which = raw["timestamp"]
    if which not in ("last_edited_time", "created_time"):
        raise validation_error(
            "body.filter.timestamp should be `created_time` or `last_edited_time`"
        )
    condition = raw.get(which)
    if not isinstance(condition, dict) or len(condition) != 1:
        raise validation_error(f"body.filter.{which} should hold one condition")
    op, value = next(iter(condition.items()))
    if not isinstance(value, str):
        raise validation_error(f"body.filter.{which}.{op} should be a date string")
    bound = parse_instant(value, field_name=f"body.filter.{which}.{op}")

    def stamp(page: Page) -> datetime:
        # Filters see the same rounded value the responses show.
        exact = page.last_edited_time if which == "last_edited_time" else page.created_time
        return exact.astimezone(UTC).replace(second=0, microsecond=0)

    compare: dict[str, Callable[[datetime], bool]] = {
        "on_or_after": lambda t: t >= bound,
        "after": lambda t: t > bound,
        "on_or_before": lambda t: t <= bound,
        "before": lambda t: t < bound,
        "equals": lambda t: t == bound,
    }
    if op not in compare:
        raise validation_error(f"body.filter.{which}.{op} is not a supported condition")
    check = compare[op]
    return lambda page: check(stamp(page))


def _property_filter(ds: DataSource, raw: Json) -> Predicate:
    name = _property_name(ds.properties, str(raw["property"]))
    if name is None:
        raise validation_error(f"Could not find property with name or id: {raw['property']}")
    kind = ds.properties[name]["type"]
    filter_kinds = [k for k in raw if k != "property"]
    if filter_kinds != [kind] and not (kind in _TEXT_KINDS and filter_kinds[0] in _TEXT_KINDS):
        raise validation_error(f"body.filter: property {name} is of type {kind}")
    condition = raw[filter_kinds[0]]
    if not isinstance(condition, dict) or len(condition) != 1:
        raise validation_error(f"body.filter.{filter_kinds[0]} should hold one condition")
    op, value = next(iter(condition.items()))

    def current(page: Page) -> Any:
        return page.properties.get(name, {}).get(kind)

    if kind in _TEXT_KINDS:

        def text(page: Page) -> str:
            return "".join(part["plain_text"] for part in current(page) or [])

        text_ops: dict[str, Predicate] = {
            "equals": lambda p: text(p) == value,
            "does_not_equal": lambda p: text(p) != value,
            "contains": lambda p: str(value) in text(p),
            "is_empty": lambda p: text(p) == "",
            "is_not_empty": lambda p: text(p) != "",
        }
        if op in text_ops:
            return text_ops[op]
    elif kind in {"select", "status"}:

        def option(page: Page) -> str | None:
            value_now = current(page)
            return value_now["name"] if value_now else None

        select_ops: dict[str, Predicate] = {
            "equals": lambda p: option(p) == value,
            "does_not_equal": lambda p: option(p) != value,
            "is_empty": lambda p: option(p) is None,
            "is_not_empty": lambda p: option(p) is not None,
        }
        if op in select_ops:
            return select_ops[op]
    elif kind == "number" and op == "equals":
        return lambda p: current(p) == value
    raise validation_error(f"body.filter: condition {op} is not supported for {kind}")


def sort_pages(ds: DataSource, pages: list[Page], sorts: Any) -> list[Page]:
    # Default order is stable creation order, so cursors stay valid between calls.
    ordered = sorted(pages, key=lambda p: p.seq)
    if sorts is None:
        return ordered
    if not isinstance(sorts, list):
        raise validation_error("body.sorts should be an array")
    for sort in reversed(sorts):
        if not isinstance(sort, dict):
            raise validation_error("body.sorts[] should be objects")
        reverse = sort.get("direction", "ascending") == "descending"
        if "timestamp" in sort:
            field_name = sort["timestamp"]
            if field_name not in ("last_edited_time", "created_time"):
                raise validation_error("body.sorts[].timestamp is not valid")

            def stamp_key(p: Page, f: str = field_name) -> datetime:
                exact = p.last_edited_time if f == "last_edited_time" else p.created_time
                return exact.replace(second=0, microsecond=0)

            ordered.sort(key=stamp_key, reverse=reverse)
        elif "property" in sort:
            name = _property_name(ds.properties, str(sort["property"]))
            if name is None:
                raise validation_error(
                    f"Could not find sort property with name or id: {sort['property']}"
                )

            def prop_key(p: Page, n: str = name) -> tuple[int, str]:
                return _sort_key(p.properties.get(n))

            ordered.sort(key=prop_key, reverse=reverse)
        else:
            raise validation_error("body.sorts[] needs a property or a timestamp")
    return ordered


def _sort_key(value: Json | None) -> tuple[int, str]:
    if not value:
        return (1, "")
    inner = value.get(value["type"])
    if inner is None or inner == []:
        return (1, "")
    if isinstance(inner, list):
        return (0, "".join(str(x.get("plain_text", x.get("name", ""))) for x in inner))
    if isinstance(inner, dict):
        return (0, str(inner.get("name", inner.get("start", ""))))
    return (0, f"{inner:020.6f}" if isinstance(inner, int | float) else str(inner))


def query_pages(
    ds: DataSource, pages: Iterable[Page], body: Json, render: Callable[[Page], Json]
) -> Json:
    """POST /v1/data_sources/{id}/query over `pages`: filter, sort, then one page of results."""
    page_size = body.get("page_size", MAX_PAGE_SIZE)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        raise validation_error("body.page_size should be a positive integer")
    if page_size > MAX_PAGE_SIZE:
        raise validation_error(
            f"body.page_size should be ≤ `{MAX_PAGE_SIZE}`, instead was `{page_size}`."
        )
    include_trashed = body.get("in_trash") is True
    predicate = compile_filter(ds, body.get("filter"))
    candidates = [
        p for p in pages if p.data_source_id == ds.id and (include_trashed or not p.in_trash)
    ]
    matched = [p for p in candidates if predicate(p)]
    matched = sort_pages(ds, matched, body.get("sorts"))
    start = 0
    cursor = body.get("start_cursor")
    if cursor is not None:
        ids = [p.id for p in matched]
        if not isinstance(cursor, str) or normalize_id(cursor) not in ids:
            raise validation_error("body.start_cursor should be a valid cursor")
        start = ids.index(normalize_id(cursor))
    chunk = matched[start : start + page_size]
    has_more = start + page_size < len(matched)
    return {
        "object": "list",
        "results": [render(p) for p in chunk],
        "next_cursor": matched[start + page_size].id if has_more else None,
        "has_more": has_more,
        "type": "page_or_data_source",
        "page_or_data_source": {},
    }
