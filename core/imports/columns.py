"""Match a file's header names to our fields loosely: `Store Number`, `store #`,
`storenum`, `STORE_ID` and `Address.City` all find their field."""

import re
from dataclasses import dataclass

TEXT = "text"
NUMBER = "number"  # read with a decimal point or comma, decided from the whole column
DATE = "date"  # ISO, day-first or month-first, decided from the whole column


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    kind: str = TEXT
    limit: float | None = None  # a number column's largest plausible size (latitude: 90)

    def names(self):
        return {
            normalize(self.field),
            normalize(self.label),
            *(normalize(s) for s in self.synonyms),
        }


def normalize(name: str) -> str:
    name = name.strip().lower().replace("#", "number").replace("nº", "number")
    return re.sub(r"[^a-z0-9]", "", name)


def _last_segment(name: str) -> str:
    # "Address.City" -> "City"; dotted names come from JSON-flattened exports.
    return normalize(re.split(r"[.:/]", name.strip())[-1]) if re.search(r"[.:/]", name) else ""


def guess_mapping(header: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    """field -> column index. A whole-name match beats a last-segment match; among equals
    the leftmost column wins; each file column serves one field at most."""
    candidates = []
    for column in columns:
        names = column.names()
        for index, title in enumerate(header):
            if not title.strip():
                continue
            if normalize(title) in names:
                candidates.append((2, -index, column.field, index))
            elif _last_segment(title) in names:
                candidates.append((1, -index, column.field, index))
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for _score, _neg, field_name, index in sorted(candidates, reverse=True):
        if field_name in mapping or index in used:
            continue
        mapping[field_name] = index
        used.add(index)
    return mapping


def header_score(columns: tuple[Column, ...]):
    """How header-like a row is: the number of its cells that name one of our fields."""
    names = set().union(*(c.names() for c in columns))

    def score(cells: list[str]) -> int:
        return sum(
            1
            for cell in cells
            if cell and (normalize(cell) in names or _last_segment(cell) in names)
        )

    return score
