"""Public aggregates (公开数据): households, persons and amounts receiving each programme, by
county and month, with small-cell suppression (:mod:`.suppression`), and the running public
notices (公示) as already masked.

Source: the platform's own roll, the cases that entered 享受救助 (see
``cases.selectors.roll_rows_public``). A case counts in a month when it was receiving on any day
of it; its persons are its household's current members and its amount its current monthly
amount (the platform keeps no history of amounts yet, so earlier months use today's figure).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from safetynet.cases.selectors import NoticeRow, public_notices_current, roll_rows_public
from safetynet.core.calendar import add_months
from safetynet.portal.errors import InvalidTransparencyQuery
from safetynet.portal.selectors import county_list
from safetynet.portal.selfcheck import PROGRAMME_NAMES
from safetynet.portal.transparency.suppression import publish, suppress
from safetynet.rules.decision import PROGRAMMES

#: Months back that may be asked for.
MAX_MONTHS = 36
MEASURES = ("households", "persons", "amount")


def threshold() -> int:
    """k: no published cell is in ``(0, k)``."""
    return int(getattr(settings, "SAFETYNET_SUPPRESSION_K", 5))


@dataclass(frozen=True)
class AggregateTable:
    """One month: rows are the counties then 合计, columns the programmes then 合计. Each measure
    is a published matrix (``None`` where withheld)."""

    month: dt.date
    k: int
    row_codes: list[str]
    row_names: list[str]
    col_codes: list[str]
    col_names: list[str]
    households: list[list[int | None]]
    persons: list[list[int | None]]
    amount: list[list[Decimal | None]]

    @property
    def suppressed(self) -> int:
        return sum(v is None for row in self.households for v in row)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_available(*, today: dt.date | None = None, count: int = 12) -> list[dt.date]:
    today = today or timezone.localdate()
    if not 1 <= count <= MAX_MONTHS:
        raise InvalidTransparencyQuery(_("月份数应在 1 到 %(n)d 之间") % {"n": MAX_MONTHS}, field="months")
    first = month_start(today)
    return [add_months(first, -i) for i in range(count - 1, -1, -1)]


def parse_month(text: str | None, *, today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    if not text:
        return month_start(today)
    try:
        year, month = (int(p) for p in str(text).split("-")[:2])
        value = dt.date(year, month, 1)
    except (TypeError, ValueError):
        raise InvalidTransparencyQuery(_("月份格式应为 2025-07"), field="month", value=str(text)[:20]) from None
    if value > month_start(today) or value < add_months(month_start(today), -MAX_MONTHS):
        raise InvalidTransparencyQuery(
            _("只能查询最近 %(n)d 个月的数据") % {"n": MAX_MONTHS}, field="month", value=str(text)[:20]
        )
    return value


def _cells(month: dt.date, rows, county_index: dict[str, int]):
    n_r, n_c = len(county_index), len(PROGRAMMES)
    households = [[0] * n_c for _ in range(n_r)]
    persons = [[0] * n_c for _ in range(n_r)]
    amount = [[Decimal(0)] * n_c for _ in range(n_r)]
    end = add_months(month, 1) - dt.timedelta(days=1)
    col = {p: j for j, p in enumerate(PROGRAMMES)}
    for r in rows:
        i = county_index.get(r.county_code)
        if i is None or r.programme not in col or r.started_on > end or (r.ended_on and r.ended_on < month):
            continue
        j = col[r.programme]
        households[i][j] += 1
        persons[i][j] += r.persons
        amount[i][j] += Decimal(r.amount_monthly or 0)
    return households, persons, amount


def _with_totals_decimal(table: list[list[Decimal]]) -> list[list[Decimal]]:
    rows = [list(r) + [sum(r, Decimal(0))] for r in table]
    width = len(rows[0]) if rows else 1
    rows.append([sum((r[j] for r in rows), Decimal(0)) for j in range(width)])
    return rows


def aggregate_tables(*, months: list[dt.date], k: int | None = None) -> list[AggregateTable]:
    """One suppressed table per month, from one read of the roll."""
    counties = [(c.code, c.name) for c in county_list()]
    rows = roll_rows_public(until=add_months(max(months), 1)) if months else []
    return tables_from_rows(rows=rows, counties=counties, months=months, k=threshold() if k is None else k)


def tables_from_rows(*, rows, counties: list[tuple[str, str]], months: list[dt.date], k: int) -> list[AggregateTable]:
    """The published tables for ``rows`` (:class:`~safetynet.cases.selectors.RollRow`-like) over
    the given counties ``[(code, name)]`` and months: counted, suppressed, with totals."""
    county_index = {code: i for i, (code, _name) in enumerate(counties)}
    out = []
    for month in months:
        households, persons, amount = _cells(month, rows, county_index)
        if not counties:
            households, persons, amount = [[0] * len(PROGRAMMES)], [[0] * len(PROGRAMMES)], [[Decimal(0)] * len(PROGRAMMES)]
        hidden = suppress(households, k)
        amounts = _with_totals_decimal(amount)
        out.append(
            AggregateTable(
                month=month,
                k=k,
                row_codes=[code for code, _name in counties] + ["total"],
                row_names=[name for _code, name in counties] + [_("合计")],
                col_codes=list(PROGRAMMES) + ["total"],
                col_names=[str(PROGRAMME_NAMES[p]) for p in PROGRAMMES] + [_("合计")],
                households=publish(households, hidden),
                persons=publish(persons, hidden),
                amount=[
                    [None if (i, j) in hidden else v.quantize(Decimal("0.01")) for j, v in enumerate(row)]
                    for i, row in enumerate(amounts)
                ],
            )
        )
    return out


def open_data_rows(tables: list[AggregateTable]) -> list[dict]:
    """Long format for CSV/JSON: one row per month × region × programme (totals included)."""
    out = []
    for t in tables:
        for i, (rc, rn) in enumerate(zip(t.row_codes, t.row_names, strict=True)):
            for j, (cc, cn) in enumerate(zip(t.col_codes, t.col_names, strict=True)):
                h = t.households[i][j]
                out.append(
                    {
                        "month": f"{t.month:%Y-%m}",
                        "region_code": rc,
                        "region_name": rn,
                        "programme": cc,
                        "programme_name": cn,
                        "households": h,
                        "persons": t.persons[i][j],
                        "amount_yuan": None if t.amount[i][j] is None else f"{t.amount[i][j]:.2f}",
                        "suppressed": h is None,
                    }
                )
    return out


DATA_DICTIONARY = [
    {"field": "month", "type": "string (YYYY-MM)", "description": _lazy("统计月份：当月任一天处于享受救助状态的家庭计入")},
    {"field": "region_code", "type": "string", "description": _lazy("县（区）12 位区划代码；total 表示全市合计")},
    {"field": "region_name", "type": "string", "description": _lazy("县（区）名称")},
    {"field": "programme", "type": "string", "description": _lazy("救助项目代码（dibao 低保、tekun 特困 …）；total 表示各项目合计")},
    {"field": "programme_name", "type": "string", "description": _lazy("救助项目名称")},
    {"field": "households", "type": "integer or null", "description": _lazy("户数；为保护隐私，1 至 k−1 户的单元格及可由合计推算出它们的单元格不公布（null）")},
    {"field": "persons", "type": "integer or null", "description": _lazy("人数（家庭现有成员数之和）；与户数同时抑制")},
    {"field": "amount_yuan", "type": "decimal string or null", "description": _lazy("当月核定发放金额合计（元，两位小数）；与户数同时抑制")},
    {"field": "suppressed", "type": "boolean", "description": _lazy("该单元格是否因小单元格保护而不公布")},
]

LICENCE = {
    "name": _lazy("示范市公共数据开放许可（演示）"),
    "text": _lazy(
        "可免费复制、传播、改编和商业使用，须注明来源“%(attribution)s”；不得试图识别任何个人或家庭。"
    ),
    "attribution": "示范市民政局社会救助公开数据",
}


def data_dictionary() -> list[dict]:
    """The open data's fields, described in the active language."""
    return [{**d, "description": str(d["description"])} for d in DATA_DICTIONARY]


def licence() -> dict:
    """The open data's licence in the active language; the attribution to quote stays as the
    publisher wrote it."""
    return {**LICENCE, "name": str(LICENCE["name"]),
            "text": str(LICENCE["text"]) % {"attribution": LICENCE["attribution"]}}


def notices_current() -> list[NoticeRow]:
    return public_notices_current()
