"""CSV exports streamed to the browser, every cell safe from formula injection (the registers' exports)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula: one beginning with =, +, -, @ (or a tab or carriage return)
    is prefixed with an apostrophe (CSV injection, OWASP). Agency names are the only text a partner chose."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


class _Echo:
    """A file that hands back what is written to it, so csv.writer yields each line to the stream."""

    def write(self, value: str) -> str:
        return value


def csv_response(header: Sequence[str], rows: Iterable[Sequence[str]], *, filename: str) -> StreamingHttpResponse:
    """`header` then `rows` as a streamed CSV attachment named `filename` (rows are read as the response is sent, so
    memory stays flat), every cell through csv_safe."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
