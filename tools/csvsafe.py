"""Spreadsheet-safe CSV cells: a cell that starts with = + - @, a tab or a carriage return is read
as a formula by Excel, LibreOffice and Google Sheets (`=HYPERLINK(…)`, `@SUM(…)`). Every export
writes its cells through `cell()`, which puts a single quote in front of such a value (the OWASP
advice); the value stays readable and is never run."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell(value: Any) -> Any:
    """The value as it may go into a CSV cell; numbers stay numbers."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def write_rows(out: IO[str], fields: list[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """A header and the rows, every cell through `cell()`; returns the number of rows."""
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: cell(row.get(k)) for k in fields})
        n += 1
    return n
