"""Read an uploaded table the way real files come: any common encoding and delimiter,
title lines above the header, blank lines, trailing empty columns, quoted newlines.

Whole-file problems raise ``ImportRejected`` with a message for the user; row
problems are the importer's business.
"""

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
HEADER_SEARCH_ROWS = 10

# Leading bytes of formats people upload by mistake.
BINARY_SIGNATURES = [
    (b"PK\x03\x04", "an Excel workbook or another zip file: save it as CSV and upload that"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) file: save it as CSV and upload that"),
    (b"%PDF", "a PDF document, not a table"),
    (b"\x89PNG", "a PNG image, not a table"),
    (b"\xff\xd8\xff", "a JPEG image, not a table"),
    (b"GIF8", "a GIF image, not a table"),
    (b"\x1f\x8b", "a gzip archive: unpack it and upload the CSV inside"),
]


class ImportRejected(Exception):
    """The whole file cannot be imported; the message says why and what to do."""


@dataclass
class Table:
    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line number, cells)

    @property
    def delimiter_name(self):
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name). UTF-8 with or without BOM, UTF-16 with BOM,
    else a legacy single-byte file (Windows-1252, which covers Latin-1's letters)."""
    if not data.strip():
        raise ImportRejected("The file is empty.")
    for signature, what in BINARY_SIGNATURES:
        if data.startswith(signature):
            raise ImportRejected(f"This file is {what}.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportRejected(
                "The file says it is UTF-16 but is not readable as such."
            ) from None
    if b"\x00" in data[:65536]:
        raise ImportRejected(
            "This file is not text (it contains binary data). Upload a CSV file: "
            "in a spreadsheet, use Save As → CSV."
        )
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "UTF-8"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > len(text[:65536]) * 0.01:
        raise ImportRejected("This file is not text (it contains binary data). Upload a CSV file.")
    return text, "Windows-1252"


def check_line_lengths(text: str, max_line_length: int) -> None:
    start = 0
    line = 1
    for end in _line_ends(text):
        if end - start > max_line_length:
            raise ImportRejected(
                f"Line {line} is {end - start:,} characters long; the limit is "
                f"{max_line_length:,}. This does not look like a table of rows."
            )
        start = end + 1
        line += 1
    if len(text) - start > max_line_length:
        raise ImportRejected(
            f"Line {line} is {len(text) - start:,} characters long; the limit is "
            f"{max_line_length:,}. This does not look like a table of rows."
        )


def _line_ends(text):
    position = text.find("\n")
    while position != -1:
        yield position
        position = text.find("\n", position + 1)


def sniff_delimiter(text: str, header_score=None) -> str:
    sample_lines = [line for line in text[:20000].splitlines() if line.strip()][:20]
    sample = "\n".join(sample_lines)
    if header_score is not None:
        # The delimiter that reveals the most known column names in the first lines
        # wins: the header defines the file, whatever some rows below it do.
        scores = {
            d: max(
                (
                    header_score([c.strip() for c in next(csv.reader([line], delimiter=d), [])])
                    for line in sample_lines[:HEADER_SEARCH_ROWS]
                ),
                default=0,
            )
            for d in DELIMITERS
        }
        best = max(scores, key=scores.get)
        if scores[best] > 0:
            return best
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    # Fall back on the delimiter seen most often, outside quotes, in the sample.
    counts = {d: _count_outside_quotes(sample, d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _count_outside_quotes(text, delimiter):
    count, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def read_table(
    data: bytes,
    *,
    max_rows: int,
    max_line_length: int,
    header_score: Callable[[list[str]], int],
) -> Table:
    """Parse bytes into a header and rows. ``header_score`` rates a candidate header row
    (how many known column names it has); the best of the first rows wins, so title
    lines above the header are passed over."""
    text, encoding = decode(data)
    check_line_lengths(text, max_line_length)
    delimiter = sniff_delimiter(text, header_score)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)

    leading: list[tuple[int, list[str]]] = []
    rows: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for cells in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank line, or a line of empty columns
            if len(leading) < HEADER_SEARCH_ROWS and not rows:
                leading.append((line, cells))
                if len(leading) < HEADER_SEARCH_ROWS:
                    continue
                rows.extend(_split_header(leading, header_score)[1])
                continue
            rows.append((line, cells))
            if len(rows) > max_rows:
                raise ImportRejected(
                    f"The file has more than {max_rows:,} rows, the most one upload may have. "
                    "Split it into smaller files."
                )
    except csv.Error as error:
        line = previous_end + 1
        if "field larger than field limit" in str(error):
            raise ImportRejected(
                f"A quoted value starting on line {line} runs on for more than "
                f'{csv.field_size_limit():,} characters: a closing quote (") is probably missing.'
            ) from None
        raise ImportRejected(f"Line {line} cannot be read as CSV: {error}.") from None

    if not leading:
        raise ImportRejected("The file has no rows.")
    if len(leading) < HEADER_SEARCH_ROWS:
        header_row, after = _split_header(leading, header_score)
        rows = after + rows
    else:
        header_row = _split_header(leading, header_score)[0]
    header_line, header = header_row
    header = _trim_trailing_empty(header)
    if not rows:
        raise ImportRejected(
            "The file has a header but no rows below it. Add the rows and upload it again."
        )
    return Table(encoding, delimiter, [h.strip() for h in header], header_line, rows)


def _split_header(leading, header_score):
    """Pick the header among the leading rows: the best score, else the first row with
    two or more filled cells. Returns (header row, rows after it)."""
    scores = [header_score([c.strip() for c in cells]) for _, cells in leading]
    best = max(range(len(leading)), key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        best = next(
            (i for i, (_, cells) in enumerate(leading) if sum(1 for c in cells if c.strip()) >= 2),
            0,
        )
    return leading[best], leading[best + 1 :]


def _trim_trailing_empty(header):
    header = list(header)
    while header and not header[-1].strip():
        header.pop()
    return header
