"""Small-cell suppression (小单元格抑制) of a two-way table with its margins.

A published table is rows × columns of counts plus its row totals, column totals and grand total.
Treat the totals as cells of an augmented (R+1) × (C+1) table: each line of it (a row with its
total, a column with its total) is one linear equation an outsider can use.

1. Primary suppression: every cell, totals included, with ``0 < n < k``.
2. Complementary suppression: a suppressed cell is safe when it lies on a cycle of suppressed
   cells (rows and columns as the nodes of a bipartite graph, suppressed cells as its edges):
   then adding ``+d, -d, …`` around the cycle keeps every published line sum, so the cell's value
   is not determined. A suppressed cell that is a *bridge* of that graph is determined by a cut
   of published sums; while one exists, the cheapest published cell joining the two sides of
   the bridge is suppressed too (interior cells before totals, smallest first).
3. Audit: the cycle argument moves each cell by ``±d``, which non-negativity forbids when a
   withheld cell holds 0 (it may only grow). When a zero has been withheld, each withheld cell's
   range over every non-negative filling that keeps the published sums is computed (a linear
   programme, HiGHS through SciPy); while one is fixed, the cheapest published cell of its row or
   column that frees it is withheld too. With no zero withheld, every cycle moves by ``±½``, so
   the audit has nothing to find and is skipped.

Zeros are published: an empty cell identifies no one. The same pattern is applied to every
measure of the table (households, persons, amounts), decided on the household counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linprog

Cell = tuple[int, int]


def augmented(table: Sequence[Sequence[int]]) -> list[list[int]]:
    """``table`` with a total column appended to each row and a total row appended at the end."""
    rows = [list(r) + [sum(r)] for r in table]
    n_cols = len(rows[0]) if rows else 1
    rows.append([sum(r[j] for r in rows) for j in range(n_cols)])
    return rows


def _bridges(cells: set[Cell], n_rows: int) -> list[Cell]:
    """Cells that are bridges of the bipartite graph rows ↔ columns (column nodes offset by ``n_rows``)."""
    adj: dict[int, list[tuple[int, Cell]]] = {}
    for i, j in cells:
        adj.setdefault(i, []).append((n_rows + j, (i, j)))
        adj.setdefault(n_rows + j, []).append((i, (i, j)))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    found: list[Cell] = []
    counter = 0
    for root in adj:
        if root in order:
            continue
        # Iterative Tarjan: (node, edge used to reach it, iterator over neighbours)
        order[root] = low[root] = counter
        counter += 1
        stack = [(root, None, iter(adj[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for nxt, edge in neighbours:
                if edge == via:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                else:
                    order[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append((nxt, edge, iter(adj[nxt])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(via)
    return found


def _component(cells: set[Cell], n_rows: int, start: int, without: Cell) -> set[int]:
    adj: dict[int, list[int]] = {}
    for i, j in cells:
        if (i, j) == without:
            continue
        adj.setdefault(i, []).append(n_rows + j)
        adj.setdefault(n_rows + j, []).append(i)
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for nxt in adj.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def suppress(table: Sequence[Sequence[int]], k: int) -> set[Cell]:
    """The cells of ``augmented(table)`` to withhold so that no published cell is in ``(0, k)``
    and no withheld cell can be derived from the published ones (see the module docstring)."""
    full = augmented(table)
    n_rows, n_cols = len(full), len(full[0])
    last_r, last_c = n_rows - 1, n_cols - 1
    hidden: set[Cell] = {(i, j) for i in range(n_rows) for j in range(n_cols) if 0 < full[i][j] < k}

    def cost(cell: Cell) -> tuple[int, int, int, int]:
        i, j = cell
        margins = (i == last_r) + (j == last_c)
        # Interior before totals; non-zero before zero (a zero hides nothing when shown … but a
        # hidden zero keeps a line from being solved); then the smallest value.
        return (margins, full[i][j] == 0, full[i][j], i * n_cols + j)

    while True:
        bridges = _bridges(hidden, n_rows)
        if not bridges:
            fixed = _audit(full, hidden)
            if fixed is None:
                return hidden
            hidden.add(_freeing_cell(full, hidden, fixed, cost))
            continue
        bi, bj = bridges[0]
        side_a = _component(hidden, n_rows, bi, (bi, bj))
        side_b = _component(hidden, n_rows, n_rows + bj, (bi, bj))

        def row_in(side: set[int], i: int) -> bool:
            return i in side

        def col_in(side: set[int], j: int) -> bool:
            return (n_rows + j) in side

        open_cells = [(i, j) for i in range(n_rows) for j in range(n_cols) if (i, j) not in hidden]
        # A published cell with its row on one side of the bridge and its column on the other
        # closes a cycle through the bridge.
        joining = [
            (i, j)
            for i, j in open_cells
            if (row_in(side_a, i) and col_in(side_b, j)) or (row_in(side_b, i) and col_in(side_a, j))
        ]
        if joining:
            hidden.add(min(joining, key=cost))
            continue
        # No such cell yet (one side is a single row or column): grow the smaller side by its
        # cheapest cell, and look again.
        small = side_a if len(side_a) <= len(side_b) else side_b
        growing = [(i, j) for i, j in open_cells if row_in(small, i) or col_in(small, j)]
        hidden.add(min(growing, key=cost))


def value_range(full: list[list[int]], hidden: set[Cell], cell: Cell) -> tuple[float, float]:
    """The least and greatest value of the withheld ``cell`` over every non-negative filling of the
    withheld cells of ``full`` (an augmented table) that keeps each published line sum: each row
    with its total and each column with its total. The upper end is ``inf`` when unbounded."""
    n_rows, n_cols = len(full), len(full[0])
    order = sorted(hidden)
    index = {c: k for k, c in enumerate(order)}
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    a_eq, b_eq = [], []
    for line in lines:
        *parts, total = line
        coeffs, rhs = np.zeros(len(order)), 0.0
        for sign, (i, j) in [(1, p) for p in parts] + [(-1, total)]:
            if (i, j) in index:
                coeffs[index[(i, j)]] += sign
            else:
                rhs -= sign * full[i][j]
        if coeffs.any():
            a_eq.append(coeffs)
            b_eq.append(rhs)
    objective = np.zeros(len(order))
    objective[index[cell]] = 1
    low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    return low.fun, (float("inf") if high.status == 3 else -high.fun)


def _fixed(full: list[list[int]], hidden: set[Cell], cell: Cell) -> bool:
    low, high = value_range(full, hidden, cell)
    return high - low < 1e-6


def _audit(full: list[list[int]], hidden: set[Cell]) -> Cell | None:
    """The first withheld cell whose value the published sums fix, or ``None`` (step 3)."""
    if all(full[i][j] > 0 for i, j in hidden):
        return None
    return next((cell for cell in sorted(hidden) if _fixed(full, hidden, cell)), None)


def _freeing_cell(full: list[list[int]], hidden: set[Cell], fixed: Cell, cost) -> Cell:
    """The cheapest published cell of ``fixed``'s row or column whose withholding frees it; failing
    that, the cheapest published cell of that row or column (or of the table)."""
    n_rows, n_cols = len(full), len(full[0])
    published = [(i, j) for i in range(n_rows) for j in range(n_cols) if (i, j) not in hidden]
    near = sorted((c for c in published if c[0] == fixed[0] or c[1] == fixed[1]), key=cost)
    for candidate in near:
        if not _fixed(full, hidden | {candidate}, fixed):
            return candidate
    return near[0] if near else min(published, key=cost)


def publish(table: Sequence[Sequence[int]], hidden: set[Cell]) -> list[list[int | None]]:
    """The augmented table with the withheld cells as ``None``."""
    return [
        [None if (i, j) in hidden else v for j, v in enumerate(row)] for i, row in enumerate(augmented(table))
    ]
