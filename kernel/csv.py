"""CSV files as French spreadsheets expect them, streamed row by row.

UTF-8 with a BOM and `;` as separator (what French Excel expects), dates jj/mm/aaaa. Rows are
written as they come, a few hundred per chunk, so 100,000 rows never sit in memory; a cell that
a spreadsheet would read as a formula is quoted (CSV injection).
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.http import StreamingHttpResponse
from django.utils import timezone

CHUNK_SIZE = 2000
ROWS_PER_WRITE = 500
BOM = "\ufeff"
# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "oui" if value else "non"
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The BOM and the header, then the rows, a few hundred per chunk."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield BOM + writer.writerow(header)
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow([_cell(c) for c in row]))
        if len(batch) >= ROWS_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def describe_filters(params) -> str:
    """The changelist's filters for the audit, without what was typed in the search box.

    A search term may be a patient's name: it is recorded as "recherche", never its content.
    """
    parts = []
    for key in sorted(params):
        if key in {"o", "p", "_changelist_filters"}:
            continue
        if key == "q":
            if params.get("q", "").strip():
                parts.append("recherche")
            continue
        parts.append(f"{key}={','.join(params.getlist(key))}"[:60])
    return "filtres : " + (" ; ".join(parts) if parts else "aucun")
