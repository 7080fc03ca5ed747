"""The cell-key method on the aggregate tier (sharing.cell_key; issue 11; DESIGN 2.3; ONS Census 2021, ABS
TableBuilder): the ptable's noise is small, zero-mean and never takes a count of people to nought; and over random
populations with random record keys, a table suppressed and perturbed shows no number from 1 to the threshold,
totals included, and no shown count is further than the ptable's bound from the true one."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharing.cell_key import KEY_RANGE, PTABLE_BOUND, perturb, perturb_table, ptable_noise
from sharing.rules import suppress_table

ROWS = ("a", "b", "c", "d")
COLUMNS = ("f", "m", "x")


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 10, 11, 12, 13, 57, 1000, 123_457])
def test_the_ptable_is_zero_mean_bounded_and_never_takes_a_count_to_nought(count: int) -> None:
    noises = [ptable_noise(count, key) for key in range(KEY_RANGE)]
    assert sum(noises) == 0
    assert all(-PTABLE_BOUND <= noise <= PTABLE_BOUND for noise in noises)
    assert all(perturb(count, key) >= 1 for key in range(KEY_RANGE)) or count == 0
    if count > PTABLE_BOUND:  # a count it changes, more often than not
        assert sum(noise != 0 for noise in noises) > KEY_RANGE // 2


def test_one_key_does_not_give_one_noise_whatever_the_count() -> None:
    # Each count's row is the pattern turned by its own step: a cell's noise says nothing of another's.
    assert len({tuple(ptable_noise(count, key) for key in range(KEY_RANGE)) for count in range(3, 40)}) > 30


def test_bad_keys_and_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="key"):
        ptable_noise(12, KEY_RANGE)
    with pytest.raises(ValueError, match="count"):
        ptable_noise(-1, 0)


_PEOPLE = st.lists(
    st.tuples(st.sampled_from(ROWS), st.sampled_from(COLUMNS), st.integers(0, KEY_RANGE - 1)), max_size=160
)


@settings(max_examples=300, deadline=None)
@given(_PEOPLE, st.sampled_from([0, 1, 5, 10]))
def test_no_shown_count_is_small_and_each_is_within_the_bound(
    people: list[tuple[str, str, int]], threshold: int
) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    key_sums: Counter[tuple[str, str]] = Counter()
    for row, col, key in people:
        counts[row, col] += 1
        key_sums[row, col] += key
    full = {(row, col): counts[row, col] for row in ROWS for col in COLUMNS}
    table = perturb_table(suppress_table(full, threshold=threshold), full, key_sums)
    assert table.perturbed
    true_cells = {(row, col): (table.cell(row, col), full[row, col]) for row in ROWS for col in COLUMNS}
    true_rows = {row: (table.row_total(row), sum(full[row, col] for col in COLUMNS)) for row in ROWS}
    true_columns = {col: (table.col_total(col), sum(full[row, col] for row in ROWS)) for col in COLUMNS}
    pairs = [*true_cells.values(), *true_rows.values(), *true_columns.values(), (table.grand_total, len(people))]
    for shown, true in pairs:
        if shown is None:
            continue
        assert not 1 <= shown <= threshold, (shown, true)
        assert abs(shown - true) <= PTABLE_BOUND
        assert (shown == 0) == (true == 0)  # nought says nobody; a count of people is never shown as nought
        assert not 1 <= true <= threshold  # the suppression rule itself, unchanged
    # The same people give the same table: asking again averages nothing away.
    again = perturb_table(suppress_table(full, threshold=threshold), full, key_sums)
    assert again == table


def test_a_total_of_the_same_people_carries_the_same_noise_in_every_table() -> None:
    # The grand total of two tables of the same 40 people (one by row, one by column) has one key: one value.
    people = [(ROWS[n % 4], COLUMNS[n % 3], (n * 37) % KEY_RANGE) for n in range(40)]
    by_pair: Counter[tuple[str, str]] = Counter((row, col) for row, col, _ in people)
    keys: Counter[tuple[str, str]] = Counter()
    for row, col, key in people:
        keys[row, col] += key
    one = perturb_table(suppress_table(dict(by_pair)), dict(by_pair), keys)
    swapped = {(col, row): n for (row, col), n in by_pair.items()}
    other = perturb_table(suppress_table(swapped), swapped, {(col, row): k for (row, col), k in keys.items()})
    assert one.grand_total == other.grand_total == perturb(40, sum(key for _, _, key in people) % KEY_RANGE)
