"""CSV files a student opens in a spreadsheet. Every CSV export writes through here: the CLI's
`tasks --format csv`, the API's `…/tasks/export` and the student's page `/tasks.csv`.

A spreadsheet runs a text cell that starts like a formula (`=HYPERLINK(…)`, `+`, `-`, `@`, or a
tab or carriage return before one) — and a course code or task title is whatever the student,
an LMS feed or a shared Notion database typed. Such cells get a leading apostrophe (OWASP's
advice on CSV injection), which spreadsheets show as text. Numbers stay numbers; JSON exports
keep every value as stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def as_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = ()) -> str:
    """The rows as CSV text (CRLF line ends), every cell through `csv_cell`. The header is the
    first row's keys, or `columns` when there is no row (no header at all without either)."""
    header = list(rows[0]) if rows else list(columns)
    if not header:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()
