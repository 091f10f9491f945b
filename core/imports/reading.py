"""Read an uploaded table the way real files come: any common encoding and delimiter,
title lines above the header, blank lines, trailing empty columns, quoted newlines.

The file is never held whole as text: each pass over its rows streams it from storage,
so a million-line sales file costs a few buffers, not its size four times over.

Whole-file problems raise ``ImportRejected`` with a message for the user; row
problems are the importer's business.
"""

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
HEADER_SEARCH_ROWS = 10
SNIFF_BYTES = 64 * 1024
REPLACEMENT = "\ufffd"

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

Opener = Callable[[], BinaryIO]


class ImportRejected(Exception):
    """The whole file cannot be imported; the message says why and what to do."""


@dataclass
class Encoding:
    codec: str  # for Python
    name: str  # for people: "UTF-8", "Windows-1252"
    bad_lines: list[int] = field(default_factory=list)  # UTF-8 lines with invalid bytes


@dataclass
class Table:
    """A file's header and a way to walk its rows again, as many times as needed."""

    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    opener: Opener | None = None
    codec: str = "utf-8"
    bad_lines: list[int] = field(default_factory=list)
    max_rows: int = 0
    max_line_length: int = 0

    @property
    def delimiter_name(self):
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    @property
    def encoding_note(self) -> str:
        if not self.bad_lines:
            return ""
        shown = ", ".join(str(n) for n in self.bad_lines[:10])
        more = f" and {len(self.bad_lines) - 10} more" if len(self.bad_lines) > 10 else ""
        return (
            f"The file is UTF-8 but line{'s' if len(self.bad_lines) > 1 else ''} {shown}{more} "
            f"{'have' if len(self.bad_lines) > 1 else 'has'} bytes that are not: those rows are "
            "listed as errors; the rest of the file reads correctly."
        )

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells) of every non-blank row below the header."""
        count = 0
        for line, cells in _csv_rows(self.opener, self.codec, self.delimiter, self.max_line_length):
            if line <= self.header_line:
                continue
            count += 1
            if self.max_rows and count > self.max_rows:
                raise ImportRejected(
                    f"The file has more than {self.max_rows:,} rows, the most one upload may "
                    "have. Split it into smaller files."
                )
            yield line, cells


def as_opener(source) -> Opener:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        return lambda: io.BytesIO(data)
    return source


def detect_encoding(opener: Opener) -> Encoding:
    """UTF-8 strictly, line by line over the whole file. A file that is UTF-8 but for a few
    lines keeps UTF-8 (its other lines, Chinese names and all, read right) and names the
    broken lines. Otherwise the encoding is detected from the whole content."""
    with opener() as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise ImportRejected("The file is empty.")
    for signature, what in BINARY_SIGNATURES:
        if head.startswith(signature):
            raise ImportRejected(f"This file is {what}.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _check_utf16(opener)
    if b"\x00" in head:
        raise ImportRejected(
            "This file is not text (it contains binary data). Upload a CSV file: "
            "in a spreadsheet, use Save As → CSV."
        )
    codec = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    bad_lines, good_non_ascii = [], 0
    with opener() as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines.append(number)
            else:
                good_non_ascii += 1
    if not bad_lines:
        return Encoding(codec, "UTF-8")
    if good_non_ascii >= len(bad_lines):
        return Encoding(codec, "UTF-8", bad_lines)
    return _legacy_encoding(opener)


def _check_utf16(opener):
    try:
        with opener() as handle, io.TextIOWrapper(handle, encoding="utf-16", newline="") as text:
            for _line in text:
                pass
    except UnicodeDecodeError:
        raise ImportRejected("The file says it is UTF-16 but is not readable as such.") from None
    return Encoding("utf-16", "UTF-16")


LEGACY_NAMES = {"cp1252": "Windows-1252", "cp1250": "Windows-1250", "cp1251": "Windows-1251",
                "cp1256": "Windows-1256", "cp932": "Shift JIS", "gb18030": "GB18030",
                "big5": "Big5", "cp949": "EUC-KR", "latin_1": "Latin-1"}  # fmt: skip


# What Western shops write besides letters, as Windows-1252 reads it. Not £ or ¥ (Polish Ł
# and Big5 lead bytes read as them), nor curly double quotes (Shift JIS lead bytes).
WESTERN_SYMBOLS = frozenset("€–—‘’…•°©®™«»¿¡§½¼¾×ºª\u00a0")  # noqa: RUF001
# Latin letters that in a file like ours are mostly another code page read as Windows-1252:
# Turkish ones (İ, Ş, ğ, ş, dotless i) and ƒ, from Shift JIS and Big5.
UNLIKELY_LETTERS = frozenset("ÐðÝýÞþƒ")
NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Three in a row: Cyrillic, Greek or Arabic read as Windows-1252 ("Ìîñêâà" for Москва).
NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{3}")


def _reads_as_western(data: bytes) -> bool:
    """Whether Windows-1252 reads the file as Western text: accented Latin letters (one
    at least) and common symbols, never three in a row. On a short file this is surer than
    statistics, which read "São João" as Big5 "S緌 Jo緌" and "NÚÑEZ" as Shift JIS."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    if NON_ASCII_RUN.search(text):
        return False
    found = set(NON_ASCII.findall(text))
    letters = {
        ch for ch in found - UNLIKELY_LETTERS if unicodedata.name(ch, "").startswith("LATIN")
    }
    return bool(letters) and found <= letters | WESTERN_SYMBOLS


def _legacy_encoding(opener) -> Encoding:
    """A file that is not UTF-8: Windows-1252 if it reads as Western text, else the
    encoding that reads its whole content most plausibly."""
    with opener() as handle:
        data = handle.read()
    codec = "cp1252" if _reads_as_western(data) else _likeliest_encoding(data)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        codec, text = "cp1252", data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > len(text[:65536]) * 0.01:
        raise ImportRejected("This file is not text (it contains binary data). Upload a CSV file.")
    return Encoding(codec, LEGACY_NAMES.get(codec, codec.replace("_", "-").upper()))


def _likeliest_encoding(data: bytes) -> str:
    """The encoding charset-normalizer finds least chaotic. Among equally plausible ones,
    Windows-1252 wins: it is what Western spreadsheets write, and the others in its family
    read this file's bytes the same way."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return "cp1252"
    best = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= best + 0.005]
    western = any("cp1252" in m.could_be_from_charset for m in tied)
    return "cp1252" if western else tied[0].encoding


def _text_lines(opener, codec, max_line_length) -> Iterator[str]:
    with (
        opener() as handle,
        io.TextIOWrapper(handle, encoding=codec, errors="replace", newline="") as text,
    ):
        for number, line in enumerate(text, start=1):
            if max_line_length and len(line) > max_line_length + 2:
                raise ImportRejected(
                    f"Line {number} is {len(line.rstrip()):,} characters long; the limit is "
                    f"{max_line_length:,}. This does not look like a table of rows."
                )
            yield line


def _csv_rows(opener, codec, delimiter, max_line_length):
    """(first line number, cells) of each non-blank CSV row."""
    lines = _text_lines(opener, codec, max_line_length)
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    previous_end = 0
    try:
        for cells in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            # Most rows have a first cell; only the others need every cell looked at.
            if (cells and cells[0].strip()) or any(cell.strip() for cell in cells):
                yield line, cells
    except csv.Error as error:
        line = previous_end + 1
        if "field larger than field limit" in str(error):
            raise ImportRejected(
                f"A quoted value starting on line {line} runs on for more than "
                f'{csv.field_size_limit():,} characters: a closing quote (") is probably missing.'
            ) from None
        raise ImportRejected(f"Line {line} cannot be read as CSV: {error}.") from None


def _sample_text(opener, codec) -> str:
    with opener() as handle:
        head = handle.read(SNIFF_BYTES)
    text = head.decode(codec, errors="replace")
    return text.rsplit("\n", 1)[0] if "\n" in text else text


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
    source,
    *,
    max_rows: int,
    max_line_length: int,
    header_score: Callable[[list[str]], int],
    bare_column: str = "",
) -> Table:
    """The file's encoding, delimiter and header, checked; its rows are walked later
    (`Table.rows()`). ``header_score`` rates a candidate header row (how many known
    column names it has); the best of the first rows wins, so title lines above the
    header are passed over. `source` is the file's bytes, or a callable opening it.

    With `bare_column`, a file of one column whose first line names none of our columns
    is a bare list of values (store numbers): that line is its first row, not a header,
    and `bare_column` is the header's name. A list of one value is such a file too."""
    opener = as_opener(source)
    encoding = detect_encoding(opener)
    delimiter = sniff_delimiter(_sample_text(opener, encoding.codec), header_score)
    leading = []
    first_after = None
    for line, cells in _csv_rows(opener, encoding.codec, delimiter, max_line_length):
        if len(leading) < HEADER_SEARCH_ROWS:
            leading.append((line, cells))
            continue
        first_after = (line, cells)
        break
    if not leading:
        raise ImportRejected("The file has no rows.")
    (header_line, header), after = _split_header(leading, header_score)
    header = [h.strip() for h in _trim_trailing_empty(header)]
    if bare_column and len(header) == 1 and not header_score(header):
        header, header_line = [bare_column], header_line - 1
    elif not after and first_after is None:
        raise ImportRejected(
            "The file has a header but no rows below it. Add the rows and upload it again."
        )
    return Table(
        encoding=encoding.name,
        delimiter=delimiter,
        header=header,
        header_line=header_line,
        opener=opener,
        codec=encoding.codec,
        bad_lines=encoding.bad_lines,
        max_rows=max_rows,
        max_line_length=max_line_length,
    )


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
