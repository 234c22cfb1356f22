"""The Alkire–Foster counting method (积分式多维贫困测量).

Alkire, S. and Foster, J. (2011), "Counting and multidimensional poverty measurement",
*Journal of Public Economics* 95(7–8): 476–487. With indicator weights ``w`` summing to 1 and
a units × indicators deprivation matrix ``g0`` of 0/1:

- deprivation score ``c_i = Σ_j w_j g0_ij`` (0 … 1);
- unit ``i`` is multidimensionally poor when ``c_i ≥ k`` (the dual cut-off);
- headcount ratio ``H = q / n``; intensity ``A`` = mean score of the poor;
- adjusted headcount ratio ``M0 = H × A = Σ_j w_j h_j``, where ``h_j`` is the censored
  headcount ratio of indicator ``j`` (share of all units both poor and deprived in ``j``);
- the contribution of indicator ``j`` is ``w_j h_j / M0`` (they sum to 1 when ``M0 > 0``).

Optional ``unit_weights`` weight units (e.g. persons per household, or sampling weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TOL = 1e-9


@dataclass(frozen=True)
class AlkireFoster:
    k: float
    n: float
    q: float
    H: float
    A: float
    M0: float
    scores: np.ndarray  # c_i for every unit
    poor: np.ndarray  # bool, c_i >= k
    uncensored_headcount: np.ndarray  # share deprived in j, poor or not
    censored_headcount: np.ndarray  # h_j
    contribution: np.ndarray  # w_j h_j / M0

    def as_dict(self, names: list[str] | None = None) -> dict:
        names = names or [str(j) for j in range(len(self.contribution))]
        return {
            "k": self.k,
            "n": self.n,
            "q": self.q,
            "H": self.H,
            "A": self.A,
            "M0": self.M0,
            "censored_headcount": dict(zip(names, self.censored_headcount.tolist(), strict=True)),
            "contribution": dict(zip(names, self.contribution.tolist(), strict=True)),
        }


def alkire_foster(deprivations, weights, k: float, unit_weights=None) -> AlkireFoster:
    """H, A, M0 and each indicator's contribution; see the module docstring."""
    g0 = np.asarray(deprivations, dtype=float)
    w = np.asarray(weights, dtype=float)
    if g0.ndim != 2:
        raise ValueError("deprivations must be a units × indicators matrix")
    if w.shape != (g0.shape[1],):
        raise ValueError(f"weights must have one entry per indicator ({g0.shape[1]}), got {w.shape}")
    if not ((g0 == 0.0) | (g0 == 1.0)).all():
        raise ValueError("deprivations must be 0 or 1")
    if (w < 0).any() or abs(w.sum() - 1.0) > 1e-6:
        raise ValueError(f"weights must be non-negative and sum to 1 (sum is {w.sum():.6f})")
    if not 0 < k <= 1:
        raise ValueError("k must be in (0, 1]")
    u = np.ones(g0.shape[0]) if unit_weights is None else np.asarray(unit_weights, dtype=float)
    if u.shape != (g0.shape[0],) or (u < 0).any():
        raise ValueError("unit_weights must be one non-negative weight per unit")

    def weighted_sum(rows: np.ndarray | slice) -> np.ndarray:  # each column's (weighted) count of deprived units
        return g0[rows].sum(axis=0) if unit_weights is None else (g0[rows] * u[rows, None]).sum(axis=0)

    scores = g0 @ w
    poor = scores >= k - _TOL
    n = float(u.sum())
    q = float(u[poor].sum())
    if n == 0:
        raise ValueError("no units to measure")
    H = q / n
    A = float((scores[poor] * u[poor]).sum() / q) if q else 0.0
    uncensored = weighted_sum(slice(None)) / n
    censored = weighted_sum(poor) / n
    M0 = float(censored @ w)
    contribution = (w * censored / M0) if M0 > 0 else np.zeros_like(w)
    return AlkireFoster(
        k=k,
        n=n,
        q=q,
        H=H,
        A=A,
        M0=M0,
        scores=scores,
        poor=poor,
        uncensored_headcount=uncensored,
        censored_headcount=censored,
        contribution=contribution,
    )
