"""Small-number suppression of a two-way table of counts (the aggregate tier: DESIGN 2.3; Haringey 3.7a; Southampton
12). A pure rule, re-exported as `sharing.rules.suppress_table`.

The method is the ordinary statistical disclosure control of published tables of counts, as statistical
offices and the NHS describe it: *primary* suppression hides every small count, and *secondary* (complementary)
suppression hides further counts so that no hidden count can be worked out from those shown. Southampton 12:
"where very small numbers are concerned (usually considered 10 records or less), care must be taken to ensure
that a person's identity cannot be deduced from the data shared".

A reader can ask for many tables of the same children (area x gender, area x ethnicity, and each of them the other
way round), so hiding each table well on its own is not enough: two tables that hide different copies of the same
count give it away together (break11 finding 10). So what a table shows is decided in a way every table sharing
a count agrees on:

- a total of one dimension (each area's total, say) and the grand total are decided from that dimension's totals
  alone, which are the same in every table that has the dimension: a total is hidden when it is from 1 to the
  threshold; then, while the grand total is shown and the hidden totals of the dimension are exactly one, or all
  1 (so that each could be worked out from the grand total), the smallest other total that is not 0 is hidden too
  (every one of that value when several tie: a label never decides, so two dimensions that split the children
  alike hide alike, break11b finding 1). The grand total is hidden only for being small (or when the caller asks,
  for what it counts: see suppress_table). Every table with the dimension hides the same totals, so putting
  tables together tells a reader nothing about a total that one of them does not;
- every further count hidden is a count inside the table (never a total), chosen by its value, then by the counts
  of its two lines (the same in a table by another dimension that splits the children alike: break11b finding
  1), then by its pair of labels taken in sorted order, and each step picks the one count that comes first over
  the whole table, so the table asked for the other way round hides exactly the same counts.

How the counts inside are chosen. Put the totals round the table: each row total at the end of its row, each
column total at the foot of its column, the grand total in the corner. Every line of that larger table is an
equation a reader can use. Count each hidden count as an edge between its row and its column (the totals are a
row and a column of their own): a hidden count can be worked out exactly from the equations alone when it lies on
no cycle of those edges, and, as counts are never negative, also when every way round a cycle would push some
hidden count below what a reader knows it must be (at least 1, since zeros are shown; a 0 hidden as a last resort
is known to be at least 0). So:

1. primary: every count from 1 to the threshold, and the totals as above; a zero is shown (it says nobody)
   except in a line whose total is from 1 to the threshold: there the zeros would pin the line's few children to
   its other counts (every child of a small area of one ethnicity), so they are hidden too (break11h finding 11);
2. while some line has exactly one hidden count, one more count inside the table is hidden: of the shown counts
   in such lines, one that is not zero (while there is one), in the most such lines, then the first in order;
3. the first hidden count (in the same order) that could still be worked out exactly (the cycle test above, with
   the bounds a reader knows: it is exact, the same answer as linear programming over what is shown) hides the
   smallest count inside the table that makes it safe, first from its own two lines; if no one count does,
   counts are hidden in that order until it is safe;
4. 2 and 3 repeat until nothing changes. Hiding more only adds ways round, so this ends.

When even the whole inside of the table hidden leaves a hidden total worked out (a dimension whose hidden totals
are all held at their least by the counts inside, say two areas with one girl and one boy each), or the totals
of a dimension cannot be made safe from the grand total, the table is withheld: every count, totals and zeros
included, is hidden, so that it tells a reader nothing to put with any other table.

Cost: with P the number of counts (cells and totals, (rows + 1) x (columns + 1)), step 2 adds at most P counts,
each after a scan of the lines (O(P)); step 3 tests at most P hidden counts, each with at most P candidates and
one search of the graph (O(P)); and it runs at most P times: O(P^4) at worst, polynomial; on the aggregate's
tables (tens of rows and columns) a few milliseconds in practice, as most tables finish in steps 1 and 2.

A reader could still narrow a hidden count to a range; what is promised is that no hidden count is determined, by
one table or by the tables a reader can ask for together.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

DEFAULT_THRESHOLD = 10

# The kinds of place a count sits in, in the order ties are broken (a cell is hidden before a total).
_CELL, _MARGIN, _GRAND = 0, 1, 2

_Place = tuple[int, int]


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts as it may be shown: each count, or None where it is suppressed. `rows` and `columns`
    are the labels in the order they were first given; a pair that was not given counts 0. `withheld`: nothing
    at all could be shown safely, so every count is None (zeros included)."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    threshold: int
    grand_total: int | None
    _cells: dict[tuple[str, str], int | None] = field(repr=False)
    _row_totals: dict[str, int | None] = field(repr=False)
    _column_totals: dict[str, int | None] = field(repr=False)
    withheld: bool = False
    # The counts shown carry the cell-key method's noise (sharing.cell_key.perturb_table).
    perturbed: bool = False

    def cell(self, row: str, col: str) -> int | None:
        return self._cells.get((row, col), None if self.withheld else 0)

    def row_total(self, row: str) -> int | None:
        return self._row_totals.get(row, None if self.withheld else 0)

    def col_total(self, col: str) -> int | None:
        return self._column_totals.get(col, None if self.withheld else 0)

    @property
    def suppressed_count(self) -> int:
        """How many counts (totals included) are not shown."""
        hidden = [value for value in self._cells.values() if value is None]
        hidden += [value for value in self._row_totals.values() if value is None]
        hidden += [value for value in self._column_totals.values() if value is None]
        return len(hidden) + (self.grand_total is None)


def suppress_table(
    counts: Mapping[tuple[str, str], int],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    hidden_row_totals: Collection[str] = (),
    hidden_column_totals: Collection[str] = (),
    hide_grand_total: bool = False,
) -> SuppressedTable:
    """The table of `counts` ((row label, column label) -> count; absent pairs count 0) with every count from 1 to
    `threshold` suppressed, totals included, and enough others suppressed that none of them can be worked out
    from what is shown, nor from it together with any other table sharing its totals or the same table the other
    way round (the module's docstring says how, and what it costs).

    `hidden_row_totals`, `hidden_column_totals` and `hide_grand_total` name totals to suppress (and keep from being
    worked out) whatever their value: a total that differs by a small count from another table's total of the
    same thing (the agency tables count child-agency pairs: sharing.selectors.aggregate; break11b finding 5)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ValueError("threshold must be a whole number, 0 or more")
    for key, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"count for {key!r} must be a whole number, 0 or more")
    rows = tuple(dict.fromkeys(row for row, _ in counts))
    columns = tuple(dict.fromkeys(col for _, col in counts))
    table = _Table(rows, columns, counts)
    n_rows, n_columns = len(rows), len(columns)
    wanted = {(rows.index(row), n_columns) for row in hidden_row_totals if row in rows}
    wanted |= {(n_rows, columns.index(col)) for col in hidden_column_totals if col in columns}
    wanted |= {(n_rows, n_columns)} if hide_grand_total else set()
    hidden = table.totals_hidden(threshold, {place for place in wanted if table.values[place] > 0})
    if hidden is not None:
        hidden |= table.zeros_beside_small_totals(threshold)
    withheld = hidden is None or not table.protect(hidden)
    if hidden is None or withheld:
        hidden = set(table.values)

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
        withheld=withheld,
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
        self.cells = [(i, j) for i in range(n_rows) for j in range(n_columns)]
        # Each line's counts, sorted: what a line is whatever its label and wherever it sits (break11b finding 1).
        self.line_counts = [tuple(sorted(values[place] for place in line)) for line in self.lines]

    def kind(self, place: _Place) -> int:
        i, j = place
        at_foot, at_end = i == len(self.rows), j == len(self.columns)
        return _GRAND if at_foot and at_end else _MARGIN if at_foot or at_end else _CELL

    def labels(self, place: _Place) -> tuple[str, ...]:
        i, j = place
        labels = [self.rows[i]] if i < len(self.rows) else []
        labels += [self.columns[j]] if j < len(self.columns) else []
        return tuple(sorted(labels))

    def order(self, place: _Place) -> tuple[bool, int, int, tuple[tuple[int, ...], ...], tuple[str, ...]]:
        """Which count inside the table to hide first: not zero, smallest, a cell before a total, then by the
        counts of its two lines (each line's counts sorted, the pair sorted), and only then by its labels in
        sorted order. Two tables of the same children by dimensions that split them alike (age x gender and age
        x ethnicity, when every girl is of one group and every boy of another) hold the same counts under other
        labels, in another order: ties broken by the labels would hide different copies of a count, and the two
        tables together would give it away (break11b finding 1; Southampton 12). The lines' counts are the same
        in both, and the same the other way round (break11 finding 10), so the tables choose alike; the labels
        decide only between counts whose lines hold the very same counts."""
        i, j = place
        value = self.values[place]
        row_line, column_line = self.line_counts[i], self.line_counts[len(self.rows) + 1 + j]
        lines = (row_line, column_line) if row_line <= column_line else (column_line, row_line)
        return (value == 0, value, self.kind(place), lines, self.labels(place))

    def totals_hidden(self, threshold: int, wanted: set[_Place]) -> set[_Place] | None:
        """Step 1 for the totals, from each dimension's totals alone (the same in every table that has it), with
        the totals `wanted` hidden whatever their value; and every cell from 1 to the threshold. None when a
        dimension's totals cannot be made safe."""
        n_rows, n_columns = len(self.rows), len(self.columns)
        grand = (n_rows, n_columns)
        hidden = {place for place, value in self.values.items() if 1 <= value <= threshold} | wanted
        if 1 <= self.values[grand] <= threshold:
            return hidden  # every total that is not 0 is at most the grand total, so all are hidden already
        for totals in ([(i, n_columns) for i in range(n_rows)], [(n_rows, j) for j in range(n_columns)]):
            held = [place for place in totals if place in hidden]
            if grand in hidden:
                # The grand total hidden for what it is (`wanted`): each dimension's totals add up to it, so one
                # of them at least is hidden too (which, as every hidden count, step 3 keeps from being worked out).
                if not held:
                    others = [place for place in totals if self.values[place] > 0]
                    if not others:
                        return None
                    hidden |= _least(others, self.values)
                continue
            # With the grand total shown, the hidden totals of a dimension add up to what a reader can work out,
            # and each is at least 1: one alone, or all of them 1, would be known exactly.
            while held and (len(held) == 1 or sum(self.values[place] for place in held) == len(held)):
                others = [place for place in totals if place not in hidden and self.values[place] > 0]
                if not others:
                    return None
                # Every total of the least value, not one of them chosen by its label: two dimensions that split
                # the children alike (gender and ethnicity, say) have the same totals under other labels, and must
                # hide the same ones (break11b finding 1).
                extra = _least(others, self.values)
                hidden |= extra
                held.extend(extra)
        return hidden

    def zeros_beside_small_totals(self, threshold: int) -> set[_Place]:
        """The zeros inside the table in a line (a row or a column) whose total is from 1 to the threshold. Shown,
        they would say that the line's few children all fall under its other counts - with one other, which
        category each of them is in (an area's four children all of one ethnicity, say): group attribute
        disclosure, which statistical disclosure control guards against as much as a count worked out
        (Southampton 12: "a person's identity cannot be deduced"; break11h finding 11). Decided from the line's
        total alone (and the other line's total), which every table with the dimension shows alike, so tables
        asked for together agree. Hidden
        like any other count, they are then kept from being worked out (steps 2 to 4: a hidden zero is known to
        be at least 0)."""
        n_rows, n_columns = len(self.rows), len(self.columns)
        small_rows = {i for i in range(n_rows) if 1 <= self.values[i, n_columns] <= threshold}
        small_columns = {j for j in range(n_columns) if 1 <= self.values[n_rows, j] <= threshold}
        # A zero whose other line totals 0 stays shown: that line's 0 says it anyway, and of everyone, not of the
        # small line's children (nobody in the partnership is of that group), so hiding it would hide nothing.
        return {
            (i, j)
            for i, j in self.cells
            if self.values[i, j] == 0
            and (i in small_rows or j in small_columns)
            and self.values[i, n_columns] > 0
            and self.values[n_rows, j] > 0
        }

    def protect(self, hidden: set[_Place]) -> bool:
        """Steps 2 to 4, hiding only counts inside the table; False when that cannot make every hidden count
        safe (the table is then withheld)."""
        while True:
            added = self.complete_lines(hidden)
            if added is None:
                return False
            if added:
                continue
            added = self.protect_cycles(hidden)
            if added is None:
                return False
            if not added:
                return True

    def complete_lines(self, hidden: set[_Place]) -> bool | None:
        """Step 2, one count at a time: of the shown counts inside the table in lines with exactly one hidden
        count, the one that is not zero (when it can), lies in most such lines, then comes first. None when such
        a line has no count left to hide."""
        covers: dict[_Place, int] = {}
        for line in self.lines:
            if sum(place in hidden for place in line) != 1:
                continue
            candidates = [place for place in line if place not in hidden and self.kind(place) == _CELL]
            if not candidates:
                return None
            for place in candidates:
                covers[place] = covers.get(place, 0) + 1
        if not covers:
            return False
        hidden.add(min(covers, key=lambda place: (self.values[place] == 0, -covers[place], self.order(place))))
        return True

    def protect_cycles(self, hidden: set[_Place]) -> bool | None:
        """Step 3: hide counts inside the table for the first hidden count that could be worked out exactly.
        None when hiding every count inside is not enough."""
        arcs = self.arcs(hidden)
        for place in sorted(hidden, key=self.order):
            if self.movable(place, hidden, arcs):
                continue
            i, j = place
            own_lines = set(self.line_of_row[i]) | set(self.line_of_column[j])
            shown = [cell for cell in self.cells if cell not in hidden]
            candidates = sorted(shown, key=lambda cell: (cell not in own_lines, self.order(cell)))
            for candidate in candidates:
                hidden.add(candidate)
                if self.movable(place, hidden):
                    return True
                hidden.discard(candidate)
            for candidate in candidates:  # no one count is enough: hide them in order until it is safe
                hidden.add(candidate)
                if self.movable(place, hidden):
                    return True
            return None
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


def _least(places: list[_Place], values: dict[_Place, int]) -> set[_Place]:
    """The places of the least value among `places` (all of them when several tie)."""
    least = min(values[place] for place in places)
    return {place for place in places if values[place] == least}


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
