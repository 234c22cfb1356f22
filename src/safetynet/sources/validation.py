"""Row validation as SQL over an all-text table, so DuckDB checks millions of rows at once.

Each check yields ``'code|message'`` or NULL; a row's reasons are the non-NULL ones. Messages
are Chinese and name the column and the offending value, so a department can fix its extract.
"""

from __future__ import annotations

import datetime as dt

from safetynet.core.crypto import blind_index_sql
from safetynet.sources.catalogue import Column, Source

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _label(col: Column) -> str:
    return f"「{col.title or col.name}」"


def _reason(code: str, message_sql: str) -> str:
    return f"{_q(code + '|')} || {message_sql}"


def _id_number_check(v: str, col: Column, batch_date: dt.date | None) -> str:
    # The check digit from the first 17 digits read as one integer (digit by integer division:
    # half the cost of 17 substrings cast one by one); reached only once the format matched.
    digits = f"TRY_CAST(substr({v}, 1, 17) AS BIGINT)"
    weighted = " + ".join(f"({digits} // {10 ** (16 - i)} % 10) * {w}" for i, w in enumerate(_WEIGHTS))
    label = _label(col)
    return f"""CASE
        WHEN length({v}) <> 18 THEN {_reason('id.length', _q(label + '应为18位，实际为') + f" || length({v}) || " + _q('位：') + f' || {v}')}
        WHEN NOT regexp_full_match({v}, '[0-9]{{17}}[0-9X]') THEN {_reason('id.format', _q(label + '格式错误：') + f' || {v}')}
        WHEN try_strptime(substr({v}, 7, 8), '%Y%m%d') IS NULL THEN {_reason('id.birth_date', _q(label + '中的出生日期不存在：') + f' || {v}')}
        {_birth_after(v, label, batch_date)}
        WHEN substr('10X98765432', (({weighted}) % 11) + 1, 1) <> substr({v}, 18, 1)
            THEN {_reason('id.checksum', _q(label + '校验位错误：') + f' || {v}')}
    END"""


def _birth_after(v: str, label: str, batch_date: dt.date | None) -> str:
    if batch_date is None:
        return ""
    message = _q(label + f"中的出生日期晚于批次日期{batch_date.isoformat()}：") + f" || {v}"
    # The eight digits are a valid date here, so they compare as text.
    return f"WHEN substr({v}, 7, 8) > '{batch_date:%Y%m%d}' THEN {_reason('id.birth_future', message)}"


def _future_date(v: str, col: Column, batch_date: dt.date | None, tolerance_days: int) -> str:
    if batch_date is None or col.future:
        return ""
    limit = batch_date + dt.timedelta(days=tolerance_days)
    allowed = f"（允许晚{tolerance_days}天）" if tolerance_days else ""
    message = _q(_label(col) + f"晚于批次日期{batch_date.isoformat()}{allowed}：") + f" || {v}"
    return f"WHEN TRY_CAST({v} AS DATE) > DATE '{limit.isoformat()}' THEN {_reason('date.future', message)}"


def _column_checks(col: Column, batch_date: dt.date | None = None, tolerance_days: int = 0) -> list[str]:
    raw = _ident(col.name)
    v = f"upper(trim({raw}))" if col.type == "id_number" else f"trim({raw})"
    present = f"NULLIF({v}, '') IS NOT NULL"
    label = _label(col)
    checks: list[str] = []
    if col.required:
        checks.append(f"CASE WHEN NOT ({present}) THEN {_reason('missing', _q('缺少必填字段' + label))} END")
    typed: str | None = None
    if col.type == "id_number":
        typed = _id_number_check(v, col, batch_date)
    elif col.type == "date":
        typed = (
            f"CASE WHEN TRY_CAST({v} AS DATE) IS NULL OR NOT regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
            f"THEN {_reason('date', _q(label + '不是有效日期(YYYY-MM-DD)：') + f' || {v}')} "
            f"{_future_date(v, col, batch_date, tolerance_days)} END"
        )
    elif col.type in ("decimal", "integer"):
        sql_type = "DECIMAL(18,2)" if col.type == "decimal" else "BIGINT"
        what = "数字" if col.type == "decimal" else "整数"
        parts = [f"WHEN TRY_CAST({v} AS {sql_type}) IS NULL THEN {_reason('number', _q(label + '不是' + what + '：') + f' || {v}')}"]
        if col.min is not None:
            code = "negative" if col.min == 0 else "below_min"
            msg = "不能为负数：" if col.min == 0 else f"不能小于{col.min:g}："
            parts.append(f"WHEN TRY_CAST({v} AS DOUBLE) < {col.min} THEN {_reason(code, _q(label + msg) + f' || {v}')}")
        if col.max is not None:
            parts.append(
                f"WHEN TRY_CAST({v} AS DOUBLE) > {col.max} THEN {_reason('above_max', _q(label + f'不能大于{col.max:g}：') + f' || {v}')}"
            )
        typed = "CASE " + " ".join(parts) + " END"
    elif col.type == "boolean":
        typed = (
            f"CASE WHEN lower({v}) NOT IN ('true','false','1','0','是','否') "
            f"THEN {_reason('boolean', _q(label + '应为 是/否：') + f' || {v}')} END"
        )
    elif col.type == "enum":
        allowed = ", ".join(_q(x) for x in col.values)
        typed = (
            f"CASE WHEN {v} NOT IN ({allowed}) THEN "
            f"{_reason('enum', _q(label + '取值不在允许范围（' + '、'.join(col.values) + '）：') + f' || {v}')} END"
        )
    elif col.type == "string" and col.max_length:
        typed = (
            f"CASE WHEN length({v}) > {col.max_length} THEN "
            f"{_reason('too_long', _q(label + f'超过{col.max_length}个字符'))} END"
        )
    if typed is not None:
        checks.append(f"CASE WHEN {present} THEN ({typed}) END")
    return checks


def reasons_sql(
    source: Source, *, only: str | None = None, batch_date: dt.date | None = None, computed: dict[str, str] | None = None
) -> str:
    """A list expression of the row's reasons (empty when the row is valid); ``only`` limits the
    checks to one column (ingestion uses it to find rows whose only fault is the person key).

    With ``batch_date``, a birth date (in an ID number) after it, and any other date after it by
    more than the source's ``future_tolerance_days`` (columns declared ``future`` aside), is a fault.
    ``computed`` names, per column, an expression already holding :func:`column_checks_sql` (so
    the ID number's check digit is not computed twice)."""
    computed = computed or {}
    lists = [
        computed.get(col.name) or column_checks_sql(source, col.name, batch_date)
        for col in source.columns
        if only in (None, col.name)
    ]
    joined = lists[0] if len(lists) == 1 else f"list_concat({', '.join(lists)})" if lists else "[]::VARCHAR[]"
    return f"list_filter({joined}, lambda x: x IS NOT NULL)"


def column_checks_sql(source: Source, column: str, batch_date: dt.date | None = None) -> str:
    """One column's checks as a list expression (NULL where a check passes)."""
    checks = _column_checks(source.column(column), batch_date, source.future_tolerance_days)
    return f"[{', '.join(checks)}]::VARCHAR[]"


def typed_sql(col: Column) -> str:
    """The expression that turns a validated text column into its landed type, named as the column."""
    return f"{typed_expr(col)} AS {_ident(col.name)}"


def typed_expr(col: Column) -> str:
    """The expression that turns a validated text column into its landed type. The lake never
    holds an identity in the clear: an ID number lands as its keyed blind index (the registry's
    ``id_number_index``, so joins still work), a ``personal`` text column as its keyed hash."""
    raw = _ident(col.name)
    v = f"NULLIF(trim({raw}), '')"
    match col.type:
        case "id_number":
            expr = blind_index_sql(f"upper({v})", "id")
        case _ if col.personal:
            expr = blind_index_sql(v, "personal")
        case "date":
            expr = f"CAST({v} AS DATE)"
        case "decimal":
            expr = f"CAST({v} AS DECIMAL(18,2))"
        case "integer":
            expr = f"CAST({v} AS BIGINT)"
        case "boolean":
            expr = f"lower({v}) IN ('true','1','是')"
        case _:
            expr = v
    return expr
