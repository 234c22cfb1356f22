"""The source catalogue (数据源目录): each departmental source declared once, in ``catalogue.yaml``.

A declaration names the owning department, the legal basis for sharing, the refresh cadence,
the schema (types and constraints per column), the person key it carries and what its facts
mean for verification (income, asset or flag).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from safetynet.sources.catalogue_labels import cadence_label, translated_label
from safetynet.sources.errors import UnknownSource

COLUMN_TYPES = ("id_number", "string", "date", "decimal", "integer", "boolean", "enum")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True
    title: str = ""
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()
    max_length: int | None = None
    #: A date column whose values may lie after the batch date (expiry, expected release).
    future: bool = False
    #: Names a person (a name, a phone): landed as a keyed hash, never in the clear.
    personal: bool = False

    @property
    def label(self) -> str:
        """The title in the visitor's language, or the column's name if it has none."""
        return translated_label(self.title) or self.name


@dataclass(frozen=True)
class Supersession:
    """How far a full extract may differ from the one it replaces before it is held (暂扣)."""

    min_accepted_ratio: float = 0.5
    max_quarantined_share: float = 0.2
    min_persons_ratio: float = 0.5
    max_distribution_shift: float = 0.3


@dataclass(frozen=True)
class Fact:
    """What a column means: ``kind`` income/asset/flag/deduction, a ``category`` and the column."""

    kind: str
    category: str
    column: str
    title: str = ""

    @property
    def label(self) -> str:
        """The title in the visitor's language."""
        return translated_label(self.title)


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    owner: str
    legal_basis: str
    cadence: str
    mode: str  # "snapshot": the newest batch replaces the last; "events": batches accumulate
    person_key: str
    as_of_column: str
    columns: tuple[Column, ...]
    facts: tuple[Fact, ...] = field(default=())
    link_columns: dict[str, str] = field(default_factory=dict)
    #: The columns that name one fact (two rows with equal keys and other values conflict).
    natural_key: tuple[str, ...] = ()
    max_line_bytes: int = 1 << 20
    future_tolerance_days: int = 0
    supersession: Supersession = field(default_factory=Supersession)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def label(self) -> str:
        """The title in the visitor's language (the YAML's stays Chinese, as stored reports quote it)."""
        return translated_label(self.title)

    @property
    def owner_label(self) -> str:
        """The owning department in the visitor's language."""
        return translated_label(self.owner)

    @property
    def cadence_label(self) -> str:
        """How often the source refreshes, in the visitor's language."""
        return cadence_label(self.cadence)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")


def _parse(name: str, spec: dict, defaults: dict) -> Source:
    columns = []
    for cname, cspec in spec["columns"].items():
        ctype = cspec["type"]
        if ctype not in COLUMN_TYPES:
            raise ValueError(f"source {name}: column {cname} has unknown type {ctype}")
        columns.append(
            Column(
                name=cname,
                type=ctype,
                required=cspec.get("required", True),
                title=cspec.get("title", ""),
                min=cspec.get("min"),
                max=cspec.get("max"),
                values=tuple(str(v) for v in cspec.get("values", ())),
                max_length=cspec.get("max_length"),
                future=bool(cspec.get("future", False)),
                personal=bool(cspec.get("personal", False)),
            )
        )
    facts = tuple(Fact(**f) for f in spec.get("facts", ()))
    source = Source(
        name=name,
        title=spec["title"],
        owner=spec["owner"],
        legal_basis=spec["legal_basis"],
        cadence=spec["cadence"],
        mode=spec.get("mode", "snapshot"),
        person_key=spec.get("person_key", "id_number"),
        as_of_column=spec["as_of_column"],
        columns=tuple(columns),
        facts=facts,
        link_columns=dict(spec.get("link_columns", {})),
        natural_key=tuple(spec.get("natural_key", (spec.get("person_key", "id_number"),))),
        max_line_bytes=int(spec.get("max_line_bytes", defaults.get("max_line_bytes", 1 << 20))),
        future_tolerance_days=int(spec.get("future_tolerance_days", defaults.get("future_tolerance_days", 0))),
        supersession=Supersession(**{**defaults.get("supersession", {}), **spec.get("supersession", {})}),
    )
    names = {c.name for c in columns}
    needed_columns = [source.person_key, source.as_of_column, *(f.column for f in facts), *source.link_columns.values()]
    for needed in [*needed_columns, *source.natural_key]:
        if needed not in names:
            raise ValueError(f"source {name}: {needed} is not a declared column")
    return source


@cache
def catalogue() -> dict[str, Source]:
    with CATALOGUE_FILE.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    defaults = raw.get("defaults", {})
    return {name: _parse(name, spec, defaults) for name, spec in raw["sources"].items()}


def source_get(name: str) -> Source:
    try:
        return catalogue()[name]
    except KeyError:
        raise UnknownSource(
            _("未知的数据源：%(name)s。可用：%(names)s") % {"name": name, "names": "、".join(sorted(catalogue()))},
            source=name,
        ) from None
