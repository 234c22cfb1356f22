"""The departmental extracts the demo city leaves behind, column by column.

Each source is written raw, as a department would send it, to
``incoming/<source>/<batch>.parquet`` beside the lake (``core.paths.incoming_dir``) (batch = the reference date, ``20261031``).
Every source keys persons by ``id_number`` and ``name`` (either may carry typos, as real
extracts do) and states the date it is as of in ``reported_on``. The columns are the data hub's
catalogue's (``sources/catalogue.yaml``, declared once); a test checks the written files against it.

Money is yuan (float, 2 decimals); monthly amounts say so in their name or description.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from safetynet.sources.selectors import catalogue_sources

TYPES = {"string": pa.string(), "date": pa.date32(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a key of TYPES
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class Source:
    name: str
    title: str  # 中文
    department: str
    columns: tuple[Column, ...]

    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, TYPES[c.type], nullable=c.nullable) for c in self.columns])


#: The demo's column type for each catalogue type (money as yuan floats, as departments send it).
_DEMO_TYPE = {
    "id_number": "string", "string": "string", "enum": "string", "date": "date",
    "decimal": "float", "integer": "int", "boolean": "bool",
}


def _from_catalogue() -> dict[str, Source]:
    """Every catalogued source as the demo writes it: one declaration (``sources/catalogue.yaml``)."""
    return {
        name: Source(
            name,
            spec.title,
            spec.owner,
            tuple(Column(c.name, _DEMO_TYPE[c.type], c.title or c.name, nullable=not c.required) for c in spec.columns),
        )
        for name, spec in catalogue_sources().items()
    }


SOURCES: dict[str, Source] = _from_catalogue()

#: Sources whose rows may carry planted name/ID typos (not the civil-affairs rolls themselves).
TYPO_SOURCES = (
    "hukou_deaths", "disability_certificates", "social_insurance", "unemployment", "tax_wages", "medical_expenses",
    "vehicles", "real_estate", "business_registration", "bank_deposits", "securities", "housing_fund",
    "public_payroll", "prison",
)

PLANTED_SCHEMA = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),
        pa.field("household_number", pa.string(), nullable=False),
        pa.field("id_number", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
        pa.field("detail", pa.string(), nullable=False),
    ]
)
"""Ground truth of planted anomalies. ``id_number`` is the person's true number (also when the
source row carries a typo); ``source_row`` is the 0-based row in that source's batch (-1 when
the anomaly is an absence); ``detail`` is a JSON object. Kinds: unreported_death,
hidden_vehicle, name_typo, id_typo, duplicate_benefit, exclusive_programmes, staff_relative,
public_payroll_recipient, imprisoned_recipient, ineligible_recipient."""
