"""Small-number suppression of a two-way table of counts (the aggregate tier: DESIGN 2.3; Haringey 3.7a; Southampton
12). A pure rule, re-exported as `sharing.rules.suppress_table`.

The method is the ordinary statistical disclosure control of published tables of counts, as statistical
offices and the NHS describe it: *primary* suppression hides every small count, and *secondary* (complementary)
suppression hides further counts so that no hidden count can be worked out from those shown. Southampton 12:
"where very small numbers are concerned (usually considered 10 records or less), care must be taken to ensure
that a person's identity cannot be deduced from the data shared".

How the secondary suppression is decided here. Put the totals round the table: each row total at the end of its
row, each column total at the foot of its column, the grand total in the corner. Every line of that larger table
(each row with its total, each column with its total, the row of column totals with the grand total, the column of
row totals with the grand total) is an equation someone reading the table can use. Count each hidden count as an
edge between its row and its column (the totals are a row and a column of their own): a hidden count can be
worked out exactly from the equations alone when it lies on no cycle of those edges, and, as counts are never
negative, also when every way round a cycle would push some hidden count below what a reader knows it must be (at
least 1, since a hidden count was hidden for being small or is the smallest count left in its line, and zeros are
shown; a count that is 0 may be hidden only as a last resort and is then known to be at least 0). So:

1. primary: every count from 1 to the threshold, totals included (zero is shown: it says nobody);
2. a line with exactly one hidden count hides a second: the smallest count shown in that line that is not zero
   (ties broken by kind (cell, then total) and by label, so the same table always gives the same answer);
3. each hidden count that could still be worked out exactly (the cycle test above, with the bounds a reader
   knows) hides a further count: the smallest that makes it safe, first from its own two lines;
4. 2 and 3 repeat until nothing changes. Hiding more only adds ways round, so this ends, at worst with the whole
   table hidden, where every count can move.

A reader could still narrow a hidden count to a range; what is promised is that no hidden count is determined.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_THRESHOLD = 10

# The kinds of place a count sits in, in the order ties are broken (a cell is hidden before a total).
_CELL, _MARGIN, _GRAND = 0, 1, 2

_Place = tuple[int, int]


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts as it may be shown: each count, or None where it is suppressed. `rows` and `columns`
    are the labels in the order they were first given; a pair that was not given counts 0."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    threshold: int
    grand_total: int | None
    _cells: dict[tuple[str, str], int | None] = field(repr=False)
    _row_totals: dict[str, int | None] = field(repr=False)
    _column_totals: dict[str, int | None] = field(repr=False)

    def cell(self, row: str, col: str) -> int | None:
        return self._cells.get((row, col), 0)

    def row_total(self, row: str) -> int | None:
        return self._row_totals.get(row, 0)

    def col_total(self, col: str) -> int | None:
        return self._column_totals.get(col, 0)

    @property
    def suppressed_count(self) -> int:
        """How many counts (totals included) are not shown."""
        hidden = [value for value in self._cells.values() if value is None]
        hidden += [value for value in self._row_totals.values() if value is None]
        hidden += [value for value in self._column_totals.values() if value is None]
        return len(hidden) + (self.grand_total is None)


def suppress_table(counts: Mapping[tuple[str, str], int], *, threshold: int = DEFAULT_THRESHOLD) -> SuppressedTable:
    """The table of `counts` ((row label, column label) -> count; absent pairs count 0) with every count from 1 to
    `threshold` suppressed, totals included, and enough others suppressed that none of them can be worked out
    from what is shown (the module's docstring says how)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ValueError("threshold must be a whole number, 0 or more")
    for key, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"count for {key!r} must be a whole number, 0 or more")
    rows = tuple(dict.fromkeys(row for row, _ in counts))
    columns = tuple(dict.fromkeys(col for _, col in counts))
    table = _Table(rows, columns, counts)
    hidden = {place for place, value in table.values.items() if 1 <= value <= threshold}
    while True:
        added = table.complete_lines(hidden) or table.protect_cycles(hidden)
        if not added:
            break
    n_rows, n_columns = len(rows), len(columns)

    def shown(place: _Place) -> int | None:
        return None if place in hidden else table.values[place]

    return SuppressedTable(
        rows=rows,
        columns=columns,
        threshold=threshold,
        grand_total=shown((n_rows, n_columns)),
        _cells={(row, col): shown((i, j)) for i, row in enumerate(rows) for j, col in enumerate(columns)},
        _row_totals={row: shown((i, n_columns)) for i, row in enumerate(rows)},
        _column_totals={col: shown((n_rows, j)) for j, col in enumerate(columns)},
    )


class _Table:
    """The counts with their totals round them: place (i, j), where row index len(rows) is the row of column
    totals and column index len(columns) the column of row totals."""

    def __init__(self, rows: tuple[str, ...], columns: tuple[str, ...], counts: Mapping[tuple[str, str], int]):
        self.rows, self.columns = rows, columns
        n_rows, n_columns = len(rows), len(columns)
        row_index = {row: i for i, row in enumerate(rows)}
        column_index = {col: j for j, col in enumerate(columns)}
        values: dict[_Place, int] = {(i, j): 0 for i in range(n_rows + 1) for j in range(n_columns + 1)}
        for (row, col), value in counts.items():
            i, j = row_index[row], column_index[col]
            values[i, j] += value
            values[i, n_columns] += value
            values[n_rows, j] += value
            values[n_rows, n_columns] += value
        self.values = values
        self.lines: list[list[_Place]] = [[(i, j) for j in range(n_columns + 1)] for i in range(n_rows + 1)]
        self.lines += [[(i, j) for i in range(n_rows + 1)] for j in range(n_columns + 1)]
        self.line_of_row = self.lines[: n_rows + 1]
        self.line_of_column = self.lines[n_rows + 1 :]

    def kind(self, place: _Place) -> int:
        i, j = place
        at_foot, at_end = i == len(self.rows), j == len(self.columns)
        return _GRAND if at_foot and at_end else _MARGIN if at_foot or at_end else _CELL

    def order(self, place: _Place) -> tuple[bool, int, int, str, str]:
        """Which count to hide first: not zero, smallest, a cell before a total, then by labels."""
        i, j = place
        value = self.values[place]
        row = self.rows[i] if i < len(self.rows) else ""
        col = self.columns[j] if j < len(self.columns) else ""
        return (value == 0, value, self.kind(place), row, col)

    def complete_lines(self, hidden: set[_Place]) -> bool:
        """Step 2: each line with exactly one hidden count hides its smallest shown count (not zero when it can)."""
        added = False
        changed = True
        while changed:
            changed = False
            for line in self.lines:
                if sum(place in hidden for place in line) != 1:
                    continue
                candidates = [place for place in line if place not in hidden]
                if not candidates:
                    continue
                hidden.add(min(candidates, key=self.order))
                added = changed = True
        return added

    def protect_cycles(self, hidden: set[_Place]) -> bool:
        """Step 3: hide one more count for the first hidden count that could be worked out exactly."""
        arcs = self.arcs(hidden)
        for place in sorted(hidden, key=self.order):
            if self.movable(place, hidden, arcs):
                continue
            i, j = place
            own_lines = set(self.line_of_row[i]) | set(self.line_of_column[j])
            shown = [other for other in self.values if other not in hidden]
            for candidate in sorted(shown, key=lambda other: (other not in own_lines, self.order(other))):
                hidden.add(candidate)
                if self.movable(place, hidden):
                    return True
                hidden.discard(candidate)
            # Unreachable: with everything hidden every count can move (each cell, its row total, its column
            # total and the grand total can all grow by one together).
            hidden.update(self.values)
            return True
        return False

    # --- Could a hidden count take another value? --------------------------------------------------------------
    # Nodes: row i is node i (the row of column totals included), column j is node len(rows) + 1 + j. Write
    # each total as minus itself, so that every line of the larger table sums to zero; then raising a hidden
    # count by one and keeping every line's sum means going round a cycle, raising the counts passed from a row
    # to a column and lowering those passed from a column to a row. A count can be passed row -> column when it
    # may grow (a cell, the grand total: always; a row or column total, which is written negated: when the
    # total may shrink), and column -> row when it may shrink (and the other way round for totals).

    def arcs(self, hidden: set[_Place]) -> dict[int, list[tuple[int, _Place]]]:
        n_rows = len(self.rows)
        out: dict[int, list[tuple[int, _Place]]] = {}
        for place in hidden:
            i, j = place
            value = self.values[place]
            least = min(1, value)  # what a reader knows it is at least (zeros are shown; a hidden zero is 0)
            may_shrink = value > least
            negated = self.kind(place) == _MARGIN
            up, down = (may_shrink, True) if negated else (True, may_shrink)
            row_node, column_node = i, n_rows + 1 + j
            if up:
                out.setdefault(row_node, []).append((column_node, place))
            if down:
                out.setdefault(column_node, []).append((row_node, place))
        return out

    def movable(
        self, place: _Place, hidden: set[_Place], arcs: dict[int, list[tuple[int, _Place]]] | None = None
    ) -> bool:
        """Whether the hidden count at `place` lies on a cycle a reader could go round (so it is not determined)."""
        if arcs is None:
            arcs = self.arcs(hidden)
        i, j = place
        row_node, column_node = i, len(self.rows) + 1 + j
        for start, goal in ((row_node, column_node), (column_node, row_node)):
            if any(target == goal and via == place for target, via in arcs.get(start, [])) and _reaches(
                arcs, goal, start, place
            ):
                return True
        return False


def _reaches(arcs: dict[int, list[tuple[int, _Place]]], start: int, goal: int, avoiding: _Place) -> bool:
    """Whether `goal` can be reached from `start` without passing the count at `avoiding`."""
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target, via in arcs.get(node, []):
            if via == avoiding or target in seen:
                continue
            if target == goal:
                return True
            seen.add(target)
            queue.append(target)
    return False
