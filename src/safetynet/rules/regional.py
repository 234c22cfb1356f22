"""Region-indexed parameters: a value is looked up county → city → province → ``default``.

Every leaf parameter of the rules is a node whose children are keyed ``default`` or by a 12-digit
region code. Households carry their 6-digit county code (the first six digits of the 区划代码),
from which the chain of keys is derived. The lookup runs on the distinct counties of a
population only, then spreads back over the households, so a million households cost as much as
the handful of counties they live in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_KEY = "default"


def region_chain(county_code: int) -> tuple[str, ...]:
    """Keys to try for a county, most local first: ``990101`` → county, city, province, default."""
    code = f"{int(county_code):06d}"
    keys = [code + "000000", code[:4] + "00000000", code[:2] + "0000000000"]
    return (*dict.fromkeys(keys), DEFAULT_KEY)


def county_of(region_code: str) -> int:
    """The 6-digit county code of any 12-digit region code (a city's own code maps to ``xxxx00``)."""
    return int(str(region_code)[:6])


def node_at(parameters_at_instant: Any, path: str) -> Any:
    node = parameters_at_instant
    for part in path.split("."):
        children = getattr(node, "children", None)  # a ParameterNode, or one at an instant
        node = children[part] if children is not None else node[part]
    return node


def value_for_county(regional_node_at_instant: Any, county_code: int, path: str = "") -> tuple[float, str]:
    """The value in force for one county and the key it came from."""
    children = regional_node_at_instant._children
    for key in region_chain(county_code):
        value = children.get(key)
        if value is not None:
            return value, key
    raise LookupError(f"parameter {path} has no value for region {county_code} nor a default at this date")


#: County codes are 6-digit numbers: below this, a code indexes a lookup table directly.
CODE_SPAN = 1_000_000
#: Up to this many households or persons (one family, a few), the counties are read one by one:
#: a table over every code costs more than the lookups.
SMALL_ARRAY = 64


class _Distinct:
    """Distinct counties of the last few county arrays. Person-level arrays are projected anew
    for every formula, so the distinct codes are found without sorting: a presence table over the
    6-digit codes (one pass), not ``np.unique`` (a sort of every person, each time)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.entries: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []

    def get(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The distinct codes, and the inverse (position of each code among them) when the codes
        do not fit the lookup table (``None`` when they do: index a table by the code itself)."""
        for array, uniq, inverse in self.entries:
            if array is codes:
                return uniq, inverse
        if codes.size and 0 <= codes.min() and codes.max() < CODE_SPAN:
            seen = np.zeros(CODE_SPAN, dtype=bool)
            seen[codes] = True
            uniq, inverse = np.flatnonzero(seen), None
        else:
            uniq, inverse = np.unique(codes, return_inverse=True)
        self.entries.insert(0, (codes, uniq, inverse))
        del self.entries[self.size :]
        return uniq, inverse


_distinct = _Distinct()


class _NodeValues:
    """Per parameter node at an instant: the value for each county seen so far. Nodes at an
    instant are themselves cached by OpenFisca, so this memo lives as long as they do."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: dict[tuple[int, str], tuple[Any, Any, dict[int, float]]] = {}

    def get(self, parameters_at_instant: Any, path: str) -> tuple[Any, dict[int, float]]:
        key = (id(parameters_at_instant), path)
        entry = self.entries.get(key)
        if entry is None or entry[0] is not parameters_at_instant:
            if len(self.entries) >= self.size:
                self.entries.clear()
            entry = (parameters_at_instant, node_at(parameters_at_instant, path), {})
            self.entries[key] = entry
        return entry[1], entry[2]


_node_values = _NodeValues()


def regional(parameters_at_instant: Any, path: str, county_codes: np.ndarray) -> np.ndarray:
    """Vector of the parameter at ``path`` for each household's county."""
    node, by_county = _node_values.get(parameters_at_instant, path)
    if len(county_codes) <= SMALL_ARRAY:  # one family: no table over every county code
        values = []
        for code in county_codes.tolist():
            value = by_county.get(code)
            if value is None:
                value = by_county[code] = float(value_for_county(node, code, path)[0])
            values.append(value)
        return np.array(values, dtype=np.float64)
    uniq, inverse = _distinct.get(county_codes)
    values = np.empty(len(uniq), dtype=np.float64)
    for i, code in enumerate(uniq.tolist()):
        value = by_county.get(code)
        if value is None:
            value = by_county[code] = float(value_for_county(node, code, path)[0])
        values[i] = value
    if inverse is not None:
        return values[inverse]
    table = np.empty(CODE_SPAN, dtype=np.float64)  # only the rows of the codes present are written and read
    table[uniq] = values
    return table[county_codes]


@dataclass(frozen=True)
class ParameterSource:
    """Where one value came from: the path, the region key that supplied it, since when, and the law."""

    path: str
    value: float
    region_key: str
    start: str
    reference: str
    description: str
    unit: str


def parameter_source(parameters: Any, path: str, county_code: int, instant: str) -> ParameterSource:
    """Resolve one region-indexed parameter at ``instant`` (``YYYY-MM-DD``) with its legal reference."""
    node = node_at(parameters, path)
    for key in region_chain(county_code):
        child = node.children.get(key)
        if child is None:
            continue
        for at in child.values_list:
            if at.instant_str <= instant:
                if at.value is None:
                    break
                return ParameterSource(
                    path=path,
                    value=float(at.value),
                    region_key=key,
                    start=at.instant_str,
                    reference=str(at.metadata.get("reference") or child.metadata.get("reference") or ""),
                    description=str(node.description or ""),
                    unit=str(node.metadata.get("unit", "")),
                )
    raise LookupError(f"parameter {path} has no value for region {county_code} nor a default on {instant}")


def regional_paths(parameters: Any) -> list[str]:
    """Every region-indexed parameter path of the tree, in file order."""
    out: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        if node.metadata.get("region_indexed"):
            out.append(prefix)
            return
        for name, child in node.children.items():
            if hasattr(child, "children"):
                walk(child, f"{prefix}.{name}" if prefix else name)

    walk(parameters, "")
    return out
