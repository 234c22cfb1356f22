"""Money: exact to the fen.

Inside the formulas amounts are float64 yuan, never rounded before a comparison. A payable amount
is rounded once, half up, to the unit the region's ``payment.rounding_unit`` parameter names (the
fen, or the yuan), by :func:`round_payable`. Everything that leaves the rules as money is integer
fen (:func:`to_fen`) or a ``Decimal`` (:func:`fen_to_yuan`), and totals are sums of integer fen."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

FEN = Decimal("0.01")


def round_payable(amount: np.ndarray, unit: np.ndarray | float) -> np.ndarray:
    """``amount`` (yuan) rounded half up to ``unit`` yuan (0.01 or 1), as float64 yuan that are an
    exact number of fen. Float noise below a millionth of the unit is cleared first, so 0.125 fen
    computed as 0.12499999 still rounds as 0.125 does."""
    steps_fen = np.rint(np.asarray(unit, dtype=np.float64) * 100)
    steps = np.round(np.asarray(amount, dtype=np.float64) * 100 / steps_fen, 6)
    return np.floor(steps + 0.5) * steps_fen / 100


def to_fen(amount: np.ndarray) -> np.ndarray:
    """Yuan amounts that are already whole fen → int64 fen."""
    return np.rint(np.asarray(amount, dtype=np.float64) * 100).astype(np.int64)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(FEN)


def yuan_decimal(amount: float) -> Decimal:
    """A fen-exact float amount as a ``Decimal`` with two places."""
    return fen_to_yuan(int(round(float(amount) * 100)))
