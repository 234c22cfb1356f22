"""The indicator library (``indicators.yaml``) and the risk levels (``levels.yaml``) as objects.

Weights are nested: each dimension with a positive total weight over its *available* indicators
gets an equal share, split inside the dimension by the indicators' relative weights. An
indicator without a source (``available: false``) or with weight 0 is never scored.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}
LEVELS = ("red", "orange", "yellow")


@dataclass(frozen=True)
class Indicator:
    code: str
    dimension: str
    title: str
    explanation: str
    available: bool = True
    measure: str | None = None
    op: str = ">="
    cutoff: float = 1.0
    per_standard: bool = False
    weight: float = 1.0

    def deprived(self, values: np.ndarray, standard: np.ndarray) -> np.ndarray:
        cutoff = self.cutoff * standard if self.per_standard else self.cutoff
        return OPS[self.op](values, cutoff)


@dataclass(frozen=True)
class Trigger:
    code: str
    title: str
    level: str
    explanation: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Library:
    version: str
    dimensions: dict[str, str]  # code -> title
    indicators: tuple[Indicator, ...]
    triggers: tuple[Trigger, ...]

    @property
    def scored(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.available and i.weight > 0)

    @property
    def computed(self) -> tuple[Indicator, ...]:
        """Every available indicator, scored or status-only, in library order."""
        return tuple(i for i in self.indicators if i.available)

    def weights(self) -> np.ndarray:
        """The AF weights of :attr:`computed` (zero for status indicators), summing to 1."""
        computed = self.computed
        totals: dict[str, float] = {}
        for i in self.scored:
            totals[i.dimension] = totals.get(i.dimension, 0.0) + i.weight
        share = 1.0 / len(totals)
        w = np.array([share * i.weight / totals[i.dimension] if i in self.scored else 0.0 for i in computed])
        return w / w.sum()

    def trigger(self, code: str) -> Trigger:
        return next(t for t in self.triggers if t.code == code)


@functools.cache
def library(path: str | None = None) -> Library:
    raw = yaml.safe_load(Path(path or HERE / "indicators.yaml").read_text(encoding="utf-8"))
    dimensions = {code: d["title"] for code, d in raw["dimensions"].items()}
    indicators = tuple(Indicator(**row) for row in raw["indicators"])
    codes = [i.code for i in indicators]
    if len(set(codes)) != len(codes):
        raise ValueError("indicator codes must be unique")
    for i in indicators:
        if i.dimension not in dimensions:
            raise ValueError(f"{i.code}: unknown dimension {i.dimension}")
        if i.available and (i.measure is None or i.op not in OPS):
            raise ValueError(f"{i.code}: an available indicator needs a measure and a comparison")
    triggers = tuple(Trigger(**row) for row in raw["triggers"])
    for t in triggers:
        if t.level not in LEVELS:
            raise ValueError(f"{t.code}: level must be one of {LEVELS}")
    return Library(version=str(raw["version"]), dimensions=dimensions, indicators=indicators, triggers=triggers)


@dataclass(frozen=True)
class LevelCutoffs:
    effective_from: dt.date
    k: float
    default: dict[str, float]
    regions: dict[str, dict[str, float]]

    def for_regions(self, region_codes: np.ndarray) -> dict[str, np.ndarray]:
        """Per household, the red/orange/yellow cut-off (the longest matching region key wins)."""
        out = {lvl: np.full(len(region_codes), self.default[lvl], dtype=float) for lvl in LEVELS}
        codes = np.asarray(region_codes, dtype=str)
        for key in sorted(self.regions, key=len):  # longer (more local) keys applied last
            match = np.char.startswith(codes, key)
            for lvl in LEVELS:
                out[lvl][match] = self.regions[key].get(lvl, self.default[lvl])
        return out


def level_cutoffs(on: dt.date, path: str | None = None) -> LevelCutoffs:
    rows = yaml.safe_load(Path(path or HERE / "levels.yaml").read_text(encoding="utf-8"))
    in_force = [r for r in rows if dt.date.fromisoformat(str(r["effective_from"])) <= on]
    if not in_force:
        raise ValueError(f"no risk-level cut-offs in force on {on}")
    r = max(in_force, key=lambda r: str(r["effective_from"]))
    return LevelCutoffs(
        effective_from=dt.date.fromisoformat(str(r["effective_from"])),
        k=float(r["k"]),
        default={k: float(v) for k, v in r["default"].items()},
        regions={str(k): {lk: float(lv) for lk, lv in v.items()} for k, v in (r.get("regions") or {}).items()},
    )


def assign_levels(scores: np.ndarray, cutoffs: dict[str, np.ndarray]) -> np.ndarray:
    """``red`` / ``orange`` / ``yellow`` / ``""`` per household."""
    tol = 1e-9
    return np.select(
        [scores >= cutoffs["red"] - tol, scores >= cutoffs["orange"] - tol, scores >= cutoffs["yellow"] - tol],
        list(LEVELS),
        default="",
    ).astype(object)
