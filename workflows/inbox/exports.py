"""Spreadsheet downloads (CSV and XLSX) that a spreadsheet opens safely, shared by the process
apps' exports.

A cell that starts like a formula is written as text with a leading apostrophe (CSV
injection: "=HYPERLINK(...)" typed as a name must never run in the reader's spreadsheet).
Numbers, dates and times stay numbers, dates and times; every other value is text.
"""

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpResponse

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XLSX sheet titles are at most 31 characters.
SHEET_TITLE_MAX = 31

Row = Sequence[Any]


def spreadsheet_text(value: str) -> str:
    """`value` as text a spreadsheet shows and never runs: a leading apostrophe before a
    formula's first character."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def csv_cell(value: Any) -> str:
    """What a CSV cell holds: a time as `YYYY-MM-DD HH:MM`, a date as `YYYY-MM-DD`, a number
    as itself, anything else as escaped text."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    if _is_number(value):
        return str(value)
    return spreadsheet_text(str(value))


def csv_bytes(rows: Iterable[Row]) -> bytes:
    """The rows as UTF-8 CSV with a byte order mark (Excel then reads Chinese names right)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: Iterable[Row], *, sheet_title: str) -> bytes:
    """The rows as a one-sheet workbook: times, dates and numbers typed, text escaped."""
    from openpyxl import Workbook  # only the downloads need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(sheet_title)[:SHEET_TITLE_MAX])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return WriteOnlyCell(sheet, value=None)
    if isinstance(value, datetime.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if _is_number(value):
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, Decimal):
            cell.number_format = "0.00"
        return cell
    # The control characters XLSX cannot hold go; the type is set last, as openpyxl would
    # store a text such as "#N/A" as an error value (and one starting with "=" as a formula).
    cell = WriteOnlyCell(sheet, value=spreadsheet_text(ILLEGAL_CHARACTERS_RE.sub("", str(value))))
    cell.data_type = "s"
    return cell


def spreadsheet_response(
    fmt: str, rows: Iterable[Row], *, filename: str, sheet_title: str
) -> HttpResponse:
    """A download of `rows` (the first one the headings) as `fmt` ("csv" or "xlsx"; 404 for
    any other), named `filename` plus the extension, kept out of shared caches."""
    if fmt not in FORMATS:
        raise Http404
    content = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows, sheet_title=sheet_title)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
