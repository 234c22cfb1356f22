"""The suppression guarantee, checked independently of how it is achieved: for random tables,
no published cell is in (0, k), and for every withheld cell a linear programme over the published
sums (HiGHS through SciPy) finds more than one feasible value."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from safetynet.cases.selectors import RollRow
from safetynet.portal.transparency.selectors import tables_from_rows
from safetynet.portal.transparency.suppression import augmented, publish, suppress
from safetynet.rules.decision import PROGRAMMES


def _value_range(table, hidden, cell):
    """Min and max of ``cell`` over all non-negative fillings of the hidden cells that keep every
    published line sum (each row with its total, each column with its total)."""
    full = augmented(table)
    n_r, n_c = len(full), len(full[0])
    hidden = sorted(hidden)
    index = {c: k for k, c in enumerate(hidden)}
    a_eq, b_eq = [], []
    lines = [[(i, j) for j in range(n_c - 1)] + [("total", (i, n_c - 1))] for i in range(n_r)]
    lines += [[(i, j) for i in range(n_r - 1)] + [("total", (n_r - 1, j))] for j in range(n_c)]
    for line in lines:
        row, rhs = np.zeros(len(hidden)), 0.0
        for part in line:
            sign, (i, j) = (-1, part[1]) if part[0] == "total" else (1, part)
            if (i, j) in index:
                row[index[(i, j)]] += sign
            else:
                rhs -= sign * full[i][j]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    c = np.zeros(len(hidden))
    c[index[cell]] = 1
    lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    assert lo.status == 0 and hi.status in (0, 3)  # 3: unbounded above, so certainly not determined
    return lo.fun, (float("inf") if hi.status == 3 else -hi.fun)


tables = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 6).flatmap(
        lambda cols: st.lists(
            st.lists(st.one_of(st.integers(0, 0), st.integers(1, 9), st.integers(10, 400)), min_size=cols, max_size=cols),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(table=tables, k=st.integers(2, 11))
# A withheld zero may only grow: the cycle through it could not move, and it was fixed at 0.
@example(table=[[0, 0], [0, 0], [0, 0], [0, 2], [2, 1]], k=2)
def test_no_published_cell_is_small_and_no_withheld_cell_can_be_derived(table, k):
    hidden = suppress(table, k)
    published = publish(table, hidden)
    full = augmented(table)
    # no published cell (totals included) below k, zeros aside
    for row in published:
        for v in row:
            assert v is None or v == 0 or v >= k
    # each withheld cell's value is not determined by what is published
    for cell in hidden:
        low, high = _value_range(table, hidden, cell)
        assert high - low > 1e-6, (cell, full[cell[0]][cell[1]], low, high)


def test_a_table_with_nothing_small_is_published_whole():
    assert suppress([[30, 12], [8, 40]], 5) == set()


def test_a_single_small_cell_takes_three_more_with_it():
    # 3 is withheld; its row, its column, and the cell across must go too, else 3 = total − rest
    hidden = suppress([[3, 40], [50, 60]], 5)
    assert len(hidden) >= 4 and (0, 0) in hidden
    assert all(len([c for c in hidden if c[0] == i]) != 1 for i in range(3))
    assert all(len([c for c in hidden if c[1] == j]) != 1 for j in range(3))


@pytest.mark.parametrize("k", [1])
def test_k_of_one_withholds_nothing(k):
    assert suppress([[1, 2], [3, 0]], k) == set()


# --- the whole published pipeline: random roll rows over random regions and months ----------

COUNTIES = [(f"9901{i:02d}000000", f"区{i}") for i in range(1, 9)]


@st.composite
def rolls(draw):
    counties = draw(st.lists(st.sampled_from(COUNTIES), min_size=1, max_size=6, unique=True))
    months = sorted(draw(st.lists(st.sampled_from([dt.date(2025, m, 1) for m in range(1, 13)]),
                                  min_size=1, max_size=3, unique=True)))
    rows = []
    for n in range(draw(st.integers(0, 120))):
        start = draw(st.sampled_from([dt.date(2024, 12, 15)] + months))
        ended = draw(st.one_of(st.none(), st.sampled_from(months)))
        rows.append(RollRow(
            case_id=n, programme=draw(st.sampled_from(PROGRAMMES)), county_code=draw(st.sampled_from(counties))[0],
            started_on=start, ended_on=ended if ended is None or ended >= start else None,
            persons=draw(st.integers(1, 6)), amount_monthly=Decimal(draw(st.integers(100, 3000))),
        ))
    return counties, months, rows


@settings(max_examples=60, deadline=None)
@given(roll=rolls(), k=st.integers(3, 10))
def test_published_aggregates_never_show_a_small_cell_nor_let_one_be_derived(roll, k):
    counties, months, rows = roll
    for table in tables_from_rows(rows=rows, counties=counties, months=months, k=k):
        # the households measure decides; persons and amounts are withheld in the same cells
        for measure in (table.households, table.persons, table.amount):
            assert [[v is None for v in r] for r in measure] == [[v is None for v in r] for r in table.households]
        for row in table.households:
            assert all(v is None or v == 0 or v >= k for v in row)
        # rebuild the true counts from the rows and check every withheld cell is undetermined
        truth = [[0] * len(PROGRAMMES) for _ in counties]
        end = dt.date(table.month.year + table.month.month // 12, table.month.month % 12 + 1, 1)
        for r in rows:
            if r.started_on < end and (r.ended_on is None or r.ended_on >= table.month):
                truth[[c for c, _n in counties].index(r.county_code)][PROGRAMMES.index(r.programme)] += 1
        hidden = {(i, j) for i, row in enumerate(table.households) for j, v in enumerate(row) if v is None}
        assert publish(truth, hidden) == table.households
        for cell in hidden:
            low, high = _value_range(truth, hidden, cell)
            assert high - low > 1e-6
