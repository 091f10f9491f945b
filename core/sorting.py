"""Sorting a paginated list by its columns, on the server: a list of fifty rows out of
thousands cannot be sorted in the browser. (Lists that show every row sort in the browser:
`<table class="sortable">`, static/js/app.js.)

    sorting = Sorting(request, {"due": ["due_date"], "store": [Natural("store__number")]},
                      default="due")
    tasks = sorting.apply(tasks)            # ordered, with the primary key as the last key
    {% sort_header sorting "due" "Due" %}   # a <th> whose link sorts by it, or reverses it

`?sort=due` sorts ascending, `?sort=-due` descending; an unknown key is the default. Numbers
are compared as numbers; a column of text that holds numbers (a store number) is sorted by
its length first, so "2" comes before "13".
"""

from django.db.models import Case, DurationField, ExpressionWrapper, F, IntegerField, Value, When
from django.db.models.functions import Length


class Natural:
    """A text column holding numbers, sorted as numbers would be: shorter values first."""

    def __init__(self, field):
        self.field = field

    def expressions(self, descending):
        return [_ordered(Length(self.field), descending), _ordered(F(self.field), descending)]


class Ranked:
    """A column of choices sorted in their own order (low, normal, high), not by spelling."""

    def __init__(self, field, values):
        self.field = field
        self.values = list(values)

    def expressions(self, descending):
        rank = Case(
            *(When(**{self.field: value}, then=Value(i)) for i, value in enumerate(self.values)),
            output_field=IntegerField(),
        )
        return [_ordered(rank, descending)]


class Duration:
    """The time from one field to another (a visit's time in the store); open ones last."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def expressions(self, descending):
        length = ExpressionWrapper(F(self.end) - F(self.start), output_field=DurationField())
        return [_ordered(length, descending)]


def _ordered(expression, descending):
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)


class Sorting:
    param = "sort"

    def __init__(self, request, columns, *, default, param="sort"):
        self.request = request
        self.param = param  # a page with two sorted tables gives each its own
        self.columns = columns
        raw = request.GET.get(self.param, "")
        self.default = default.removeprefix("-")
        key = raw.removeprefix("-")
        if key not in columns:
            key, raw = self.default, default
        self.key = key
        self.descending = raw.startswith("-")

    def apply(self, queryset):
        order = []
        for column in self.columns[self.key]:
            if hasattr(column, "expressions"):
                order += column.expressions(self.descending)
            else:
                order.append(_ordered(F(column), self.descending))
        return queryset.order_by(*order, "-pk" if self.descending else "pk")

    def sort_rows(self, rows):
        """Sort rows already in memory (a report's): `columns` maps each key to a function
        of a row giving its value; a missing value (None) comes last either way."""
        value = self.columns[self.key]
        present = [row for row in rows if value(row) is not None]
        missing = [row for row in rows if value(row) is None]
        present.sort(key=value, reverse=self.descending)  # stable: ties keep their order
        return present + missing

    def header(self, key):
        """The link that sorts by `key` (reversing it if it is the sort now), and the
        aria-sort the column's header carries now; None for a column that does not sort.
        A default order that is not a column (the inventory's store, then product) has a
        link back to it, one way only."""
        query = self.request.GET.copy()
        query.pop("page", None)
        current = key == self.key
        if key not in self.columns:
            if key != self.default:
                return None
            query.pop(self.param, None)
            return f"?{query.urlencode()}", "ascending" if current else ""
        query[self.param] = f"-{key}" if current and not self.descending else key
        aria = ("descending" if self.descending else "ascending") if current else ""
        return f"?{query.urlencode()}", aria
