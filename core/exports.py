"""CSV exports that are safe to open in a spreadsheet."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

# A cell starting with one of these is run as a formula by spreadsheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value  # shown as text, never evaluated; imports drop the apostrophe
    return value


def is_formula_like(value: str) -> bool:
    """Starts with a formula trigger, or with apostrophes before one: a value that itself
    begins "'=" is escaped again, so a round trip through export and import keeps it."""
    return value.lstrip("'").startswith(FORMULA_TRIGGERS)


class _Echo:
    def write(self, value):
        return value


def csv_response(filename_stem, header, rows, preamble=()):
    """Stream rows (iterables of values) as a CSV download with a UTF-8 BOM for Excel.
    `preamble`: rows before the header (what the figures are, as of when), then a blank."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"
        for row in preamble:
            yield writer.writerow([safe_cell(v) for v in row])
        if preamble:
            yield writer.writerow([])
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(v) for v in row])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename_stem}-{stamp}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    # An export is an organization's data on a download link: never kept by a cache.
    add_never_cache_headers(response)
    return response
