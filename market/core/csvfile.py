"""CSV downloads as Excel users open them: Chinese headers, a UTF-8 BOM, and no cell that
Excel would run as a formula."""

import csv
import io

from flask import Response

from .clock import local_today


def cell(value) -> str:
    """A value as a CSV cell; text starting like a formula (=, +, -, @) stays text, since
    Excel would run it (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_bytes(headers, rows) -> bytes:
    """The CSV file of `rows` (each a sequence of values) under `headers`, UTF-8 with a BOM
    (Excel then reads it as UTF-8)."""
    buffer = io.StringIO()
    write_csv(buffer, headers, rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_csv(stream, headers, rows) -> int:
    """Write the CSV of `rows` under `headers` to a text stream, row by row (a file opened
    with encoding "utf-8-sig" and newline="" gets the BOM); returns the number of rows."""
    writer = csv.writer(stream)
    writer.writerow(headers)
    count = 0
    for row in rows:
        writer.writerow([cell(value) for value in row])
        count += 1
    return count


def csv_download(content: bytes, name: str) -> Response:
    """The file as a download named after `name` and today's date."""
    return Response(
        content,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}-{local_today():%Y%m%d}.csv"},
    )
