"""The cell-key method: a small, fixed noise on every count the aggregate tier shows (issue 11; DESIGN 2.3
"suppression so no hidden cell can be recovered from totals"; Southampton 12: "care must be taken to ensure that
a person's identity cannot be deduced from the data shared"). A pure rule, re-exported by `sharing.rules`.

Why: a reader can ask for any two of the dimensions, so hiding counts table by table cannot stop a hidden count
being worked out by taking shown counts of several tables away from one another (break11c findings 1 and 2: the
pairs of the agency tables against the children of another table; a dimension that refines another). Statistical
offices that publish "any table on demand" answer this with the cell-key method:

- Office for National Statistics, "Protecting personal data in Census 2021 results" (2021), and its
  "cell key perturbation" method papers: every record carries a fixed random *record key*; a cell's key is the
  sum of its records' keys modulo the key range; a fixed *perturbation table* (ptable), looked up by the cell's
  count and key, gives the noise added to it. Every cell and every total is perturbed on its own, so a table no
  longer adds up and a difference of shown counts is the hidden count plus noise; the same records always give
  the same key and so the same noise, so asking again (or for the same count in another table) averages nothing
  away.
- Australian Bureau of Statistics, TableBuilder "Perturbation" (the method the ONS one follows), Fraser and
  Wooton, "A proposed method for confidentialising tabular output to protect against differencing" (2005).

Here the record key is `Child.cell_key` (0 to 255, set at random when the child is added: sharing migration 0012),
so the key of a cell is the sum of its children's keys modulo 256 (for the agency tables, which count
child-agency pairs, the sum over its pairs: a child counted under two agencies brings its key to each).

The ptable. Each count above PTABLE_BOUND takes a noise from -PTABLE_BOUND to +PTABLE_BOUND with probabilities
(32, 48, 96, 48, 32) in 256 over the keys: symmetric, so zero-mean (a total over many tables is unbiased), and a
count is shown unchanged for only 96 keys in 256. The row of each count is the same pattern turned by a step that
depends on the count (`_STEP`), so one key does not give one noise whatever the count (ONS ptables differ by
count). Counts from 0 to PTABLE_BOUND are left as they are: nought says nobody (ONS leaves zeros alone), and a
count from 1 to PTABLE_BOUND is never shown anyway at the threshold in use (10), so no noise can take a count of
people to 0 or below.

With the threshold. Every true count from 1 to the threshold is hidden before any noise (the suppression rule,
unchanged, with its secondary suppression), and a shown count whose noisy value lands from 1 to the threshold is
hidden as well (a true count from threshold + 1 to threshold + PTABLE_BOUND can): so no number from 1 to the
threshold is ever shown, and a shown number differs from the true count by at most PTABLE_BOUND.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from sharing.suppression import SuppressedTable

# The record keys run over 0..KEY_RANGE - 1 (ONS: 0..255).
KEY_RANGE = 256
# The largest noise either way.
PTABLE_BOUND = 2

# How many of the KEY_RANGE keys give each noise, from -PTABLE_BOUND to +PTABLE_BOUND.
_WEIGHTS: tuple[int, ...] = (32, 48, 96, 48, 32)
# The noise for each key of the pattern: -2 for the first 32 keys, -1 for the next 48, and so on.
_PATTERN: tuple[int, ...] = tuple(
    noise for noise, weight in zip(range(-PTABLE_BOUND, PTABLE_BOUND + 1), _WEIGHTS, strict=True) for _ in range(weight)
)
# The turn of each count's row: odd, so consecutive counts' rows differ.
_STEP = 97

assert len(_PATTERN) == KEY_RANGE  # the ptable's shape, checked once at import
assert sum(_PATTERN) == 0  # zero-mean


def ptable_noise(count: int, key: int) -> int:
    """The ptable's noise for a count and a cell key: 0 for a count from 0 to PTABLE_BOUND, otherwise from
    -PTABLE_BOUND to +PTABLE_BOUND, zero-mean over the keys."""
    if count < 0:
        raise ValueError("count must be 0 or more")
    if not 0 <= key < KEY_RANGE:
        raise ValueError(f"key must be from 0 to {KEY_RANGE - 1}")
    if count <= PTABLE_BOUND:
        return 0
    return _PATTERN[(key + _STEP * count) % KEY_RANGE]


def perturb(count: int, key: int) -> int:
    """The count as shown before the threshold is applied: `count` plus its ptable noise (never below 1 for a
    count of 1 or more, 0 for 0)."""
    return count + ptable_noise(count, key)


def cell_key_of(keys_sum: int) -> int:
    """A cell's key from the sum of its records' keys."""
    return keys_sum % KEY_RANGE


def perturb_table(
    table: SuppressedTable, counts: Mapping[tuple[str, str], int], key_sums: Mapping[tuple[str, str], int]
) -> SuppressedTable:
    """`table` (as suppressed from the true `counts`) with every count it shows, totals included, perturbed by
    the ptable with its own key, and hidden as well when the perturbed value is from 1 to the threshold.
    `key_sums` holds the sum of the record keys of each cell (absent: 0); a total's is the sum of its cells'
    (a total counts the records of its cells: for the agency tables, child-agency pairs). A withheld table stays
    withheld."""
    if table.withheld:
        return dataclasses.replace(table, perturbed=True)
    threshold = table.threshold

    def key_sum(row: str, col: str) -> int:
        return key_sums.get((row, col), 0)

    def count(row: str, col: str) -> int:
        return counts.get((row, col), 0)

    def shown(value: int | None, true: int, sum_of_keys: int) -> int | None:
        if value is None:
            return None
        noisy = perturb(true, cell_key_of(sum_of_keys))
        return None if 1 <= noisy <= threshold else noisy

    cells = {
        (row, col): shown(table.cell(row, col), count(row, col), key_sum(row, col))
        for row in table.rows
        for col in table.columns
    }
    row_totals = {
        row: shown(
            table.row_total(row),
            sum(count(row, col) for col in table.columns),
            sum(key_sum(row, col) for col in table.columns),
        )
        for row in table.rows
    }
    column_totals = {
        col: shown(
            table.col_total(col),
            sum(count(row, col) for row in table.rows),
            sum(key_sum(row, col) for row in table.rows),
        )
        for col in table.columns
    }
    grand = shown(table.grand_total, sum(counts.values()), sum(key_sums.values()))
    return dataclasses.replace(
        table,
        grand_total=grand,
        _cells=cells,
        _row_totals=row_totals,
        _column_totals=column_totals,
        perturbed=True,
    )
