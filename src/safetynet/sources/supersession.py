"""The check a batch passes before it may replace what is in force (替代检查).

A full extract (mode ``snapshot``) replaces the batch in force before it; a bad delivery (a wrong
export, a type change that quarantines every row) would silently erase a department's data. So
the new batch is compared with the one it would replace, with the thresholds the catalogue
declares per source (:class:`~safetynet.sources.catalogue.Supersession`): accepted rows, the
share quarantined, distinct persons and the value shares of each enum column. A batch that fails
any of them, and any batch at all that accepts no row, is *held*: it lands nowhere until a data
steward confirms or rejects it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from django.utils.translation import gettext as _

from safetynet.sources.catalogue import Source


@dataclass(frozen=True)
class BatchStats:
    accepted: int
    persons: int
    #: Enum column → value → share of accepted rows (null counted as its own value).
    shares: dict[str, dict[str, float]]


def batch_stats(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> BatchStats:
    """The figures the check compares, read from a landed Parquet file."""
    p = "'" + str(path).replace("'", "''") + "'"
    key = '"' + source.person_key + '"'
    accepted, persons = con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM read_parquet({p})").fetchone()
    shares: dict[str, dict[str, float]] = {}
    for col in source.columns:
        if col.type != "enum" or not accepted:
            continue
        rows = con.execute(
            f'SELECT coalesce(CAST("{col.name}" AS VARCHAR), \'(空)\'), count(*) FROM read_parquet({p}) GROUP BY 1'
        ).fetchall()
        shares[col.name] = {str(v): n / accepted for v, n in rows}
    return BatchStats(accepted, persons, shares)


def _shift(a: dict[str, float], b: dict[str, float]) -> float:
    """Total variation distance between two distributions of values."""
    return sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b)) / 2


def hold_reasons(
    *, source: Source, received: int, quarantined: int, new: BatchStats, replaced: BatchStats | None, replaced_id: str | None
) -> list[dict]:
    """Why the batch must be held (empty: it may land and replace ``replaced``)."""
    reasons: list[dict] = []

    def hold(code: str, message: str, **figures) -> None:
        reasons.append({"code": code, "message": message, **figures})

    if new.accepted == 0:
        hold("accepted_none", _("本批次没有一行通过校验（收到 %(r)d 行，全部隔离），不能替代任何数据") % {"r": received})
    if source.mode != "snapshot":
        return reasons
    if replaced is None or replaced.accepted == 0 or new.accepted == 0:
        return reasons  # the first extract replaces nothing: only a batch accepting nothing is held
    limits = source.supersession
    share = quarantined / received if received else 0.0
    if share > limits.max_quarantined_share:
        hold(
            "quarantined_share",
            _("隔离比例 %(s).1f%% 超过上限 %(m).1f%%") % {"s": share * 100, "m": limits.max_quarantined_share * 100},
            value=round(share, 4),
            limit=limits.max_quarantined_share,
        )
    ratio = new.accepted / replaced.accepted
    if ratio < limits.min_accepted_ratio:
        hold(
            "accepted_drop",
            _("入库行数 %(n)d 只有被替代批次 %(b)s 的 %(p).0f%%（%(o)d 行），低于下限 %(m).0f%%")
            % {"n": new.accepted, "b": replaced_id, "p": ratio * 100, "o": replaced.accepted, "m": limits.min_accepted_ratio * 100},
            value=round(ratio, 4),
            limit=limits.min_accepted_ratio,
        )
    if replaced.persons:
        ratio = new.persons / replaced.persons
        if ratio < limits.min_persons_ratio:
            hold(
                "persons_drop",
                _("涉及人数 %(n)d 只有被替代批次的 %(p).0f%%（%(o)d 人），低于下限 %(m).0f%%")
                % {"n": new.persons, "p": ratio * 100, "o": replaced.persons, "m": limits.min_persons_ratio * 100},
                value=round(ratio, 4),
                limit=limits.min_persons_ratio,
            )
    for column, before in replaced.shares.items():
        after = new.shares.get(column, {})
        shift = _shift(before, after)
        if shift > limits.max_distribution_shift:
            title = source.column(column).title or column
            hold(
                "distribution_shift",
                _("「%(c)s」的取值分布与被替代批次相差 %(s).0f%%，超过上限 %(m).0f%%")
                % {"c": title, "s": shift * 100, "m": limits.max_distribution_shift * 100},
                column=column,
                value=round(shift, 4),
                limit=limits.max_distribution_shift,
            )
    return reasons
