"""Just enough GraphQL for the fake Shopify: parse a query (operation, variables, fields,
arguments, aliases; no fragments), run it over Python data, and price it the way
Shopify documents its calculated query cost.

The data are dicts with a "__typename"; a field's value may be a Connection (paginated by
first/after, searched by its `query` argument) or a function of the field's arguments.
A field the data does not have is Shopify's `undefinedField` error, so a query that asks
for a field the real API would refuse fails here too."""

import base64
import re
from dataclasses import dataclass, field

TOKEN = re.compile(
    r'\s*(?:(#[^\n]*)|(\.\.\.|[{}()\[\]:!$,=@])|([_A-Za-z][_0-9A-Za-z]*)|(-?\d+(?:\.\d+)?)|("(?:[^"\\]|\\.)*"))'
)


class QueryError(Exception):
    def __init__(self, message, code, **extensions):
        super().__init__(message)
        self.message = message
        self.extensions = {"code": code, **extensions}


@dataclass
class Selection:
    name: str
    alias: str | None = None
    arguments: dict = field(default_factory=dict)
    selections: list | None = None

    @property
    def key(self):
        return self.alias or self.name


@dataclass
class Variable:
    name: str


def tokens(text):
    position, found = 0, []
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match:
            raise QueryError(f"Parse error on {text[position : position + 20]!r}", "parseError")
        position = match.end()
        comment, punct, name, number, string = match.groups()
        if comment:
            continue
        found.append(
            ("p", punct)
            if punct
            else ("n", name)
            if name
            else ("num", number)
            if number
            else ("s", string)
        )
    return found


class Parser:
    def __init__(self, text):
        self.tokens = tokens(text)
        self.at = 0

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else (None, None)

    def take(self, value=None):
        token = self.peek()
        if value is not None and token[1] != value:
            raise QueryError(f"Parse error: expected {value!r}, found {token[1]!r}", "parseError")
        self.at += 1
        return token

    def operation(self):
        """(operation name, selections) of the document's one query."""
        name = None
        if self.peek() == ("n", "query"):
            self.take()
            if self.peek()[0] == "n":
                name = self.take()[1]
            if self.peek()[1] == "(":
                self.skip_group("(", ")")  # variable definitions: the values come as JSON
        selections = self.selection_set()
        if self.peek()[0] is not None:
            raise QueryError(
                "Fragments and more than one operation are not supported by the fake", "parseError"
            )
        return name, selections

    def skip_group(self, opening, closing):
        depth = 0
        while True:
            _, value = self.take()
            depth += value == opening
            depth -= value == closing
            if depth == 0:
                return

    def selection_set(self):
        self.take("{")
        selections = []
        while self.peek()[1] != "}":
            selections.append(self.selection())
            if self.peek()[1] == ",":
                self.take()
        self.take("}")
        return selections

    def selection(self):
        kind, name = self.take()
        if kind != "n":
            raise QueryError(f"Parse error on {name!r}", "parseError")
        alias = None
        if self.peek()[1] == ":":
            self.take()
            alias, name = name, self.take()[1]
        arguments = self.arguments() if self.peek()[1] == "(" else {}
        selections = self.selection_set() if self.peek()[1] == "{" else None
        return Selection(name, alias, arguments, selections)

    def arguments(self):
        self.take("(")
        arguments = {}
        while self.peek()[1] != ")":
            name = self.take()[1]
            self.take(":")
            arguments[name] = self.value()
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return arguments

    def value(self):
        kind, value = self.take()
        if value == "$":
            return Variable(self.take()[1])
        if value == "[":
            values = []
            while self.peek()[1] != "]":
                values.append(self.value())
                if self.peek()[1] == ",":
                    self.take()
            self.take("]")
            return values
        if kind == "s":
            return value[1:-1].encode().decode("unicode_escape")
        if kind == "num":
            return float(value) if "." in value else int(value)
        return {"true": True, "false": False, "null": None}.get(value, value)  # an enum


def bind(value, variables):
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, list):
        return [bind(v, variables) for v in value]
    return value


# -- Running a query ---------------------------------------------------------------------


def cursor(index):
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def position(after):
    if after is None:
        return 0
    try:
        return int(base64.b64decode(after).decode().split(":")[1]) + 1
    except (ValueError, IndexError):
        raise QueryError(
            f"Invalid cursor for current pagination sort: {after}", "badRequest"
        ) from None


class Connection:
    """A paginated list: `first` (at most 250, as Shopify), `after`, and a `query` string
    that `search(items, query)` applies."""

    def __init__(self, typename, items, search=None):
        self.typename = typename
        self.items = items
        self.search = search

    def page(self, arguments):
        first = arguments.get("first")
        if first is None or not 0 < first <= 250:
            raise QueryError("you must provide one of first or last (at most 250)", "badRequest")
        items = self.items() if callable(self.items) else self.items
        if self.search and arguments.get("query"):
            items = self.search(items, arguments["query"])
        start = position(arguments.get("after"))
        chosen = items[start : start + first]
        end = start + len(chosen) - 1
        return {
            "__typename": f"{self.typename}Connection",
            "nodes": chosen,
            "edges": [
                {"__typename": f"{self.typename}Edge", "cursor": cursor(start + i), "node": node}
                for i, node in enumerate(chosen)
            ],
            "pageInfo": {
                "__typename": "PageInfo",
                "hasNextPage": start + first < len(items),
                "hasPreviousPage": start > 0,
                "startCursor": cursor(start) if chosen else None,
                "endCursor": cursor(end) if chosen else None,
            },
        }


def execute(selections, root, variables, path=()):
    """The data the selections pick out of `root`."""
    out = {}
    for selection in selections:
        if selection.name == "__typename":
            out[selection.key] = root.get("__typename")
            continue
        if selection.name not in root:
            typename = root.get("__typename", "QueryRoot")
            raise QueryError(
                f"Field '{selection.name}' doesn't exist on type '{typename}'",
                "undefinedField",
                typeName=typename,
                fieldName=selection.name,
            )
        arguments = {k: bind(v, variables) for k, v in selection.arguments.items()}
        value = root[selection.name]
        if callable(value):
            value = value(arguments)
        if isinstance(value, Connection):
            value = value.page(arguments)
        out[selection.key] = project(value, selection, variables, (*path, selection.key))
    return out


def project(value, selection, variables, path):
    if value is None:
        return None
    if selection.selections is None:
        if isinstance(value, dict | list) and (
            isinstance(value, dict) or (value and isinstance(value[0], dict))
        ):
            raise QueryError(f"Field must have selections ({selection.name})", "selectionMismatch")
        return value
    if isinstance(value, list):
        return [execute(selection.selections, item, variables, path) for item in value]
    return execute(selection.selections, value, variables, path)


# -- Its cost, as Shopify calculates it ------------------------------------------------------
# A scalar costs 0, an object 1, a connection 2 plus `first` times one node's cost
# (requested) or the nodes it returned (actual).


def requested_cost(selections, variables):
    total = 0
    for selection in selections or []:
        if selection.selections is None or selection.name == "pageInfo":
            continue
        first = bind(selection.arguments.get("first"), variables)
        if first is not None:
            total += 2 + first * _node_cost(selection, variables)
        else:
            total += 1 + requested_cost(selection.selections, variables)
    return total


def _node_cost(connection, variables):
    for inner in connection.selections:
        if inner.name == "nodes":
            return 1 + requested_cost(inner.selections, variables)
        if inner.name == "edges":
            node = next((s for s in inner.selections if s.name == "node"), None)
            return 1 + requested_cost(node.selections if node else [], variables)
    return 1


def actual_cost(selections, data):
    total = 0
    for selection in selections or []:
        if selection.selections is None or selection.name == "pageInfo":
            continue
        value = (data or {}).get(selection.key)
        if selection.arguments.get("first") is not None and isinstance(value, dict):
            nodes_selection = next((s for s in selection.selections if s.name == "nodes"), None)
            nodes = value.get("nodes") or [e.get("node") for e in value.get("edges") or []]
            inner = nodes_selection.selections if nodes_selection else []
            total += 2 + sum(1 + actual_cost(inner, node) for node in nodes)
        elif isinstance(value, list):
            total += sum(1 + actual_cost(selection.selections, item) for item in value)
        elif value is not None:
            total += 1 + actual_cost(selection.selections, value)
    return total
