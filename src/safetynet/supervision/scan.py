"""The supervision scan (监督筛查) as Ibis expressions: the same expression on DuckDB or Spark.

Inputs, all on one connection:

* ``roll``: who is being paid, one row per person and household (人员级发放名册): the civil-affairs
  roll in the lake (``benefits`` batches in force) and this platform's approved payment lines
  (``payments``: the members of each paid household), with ``source``, ``batch``, ``row`` and
  ``as_of`` (the date the payment stands for);
* the lake's ``hukou_deaths``, ``prison``, ``public_payroll`` and ``staff`` batches in force;
* ``deaths``: death dates the registry itself holds (``id_number``, ``death_date``);
* ``history``: every membership the registry ever recorded (``id_number``, ``household_number``,
  ``current``): the kinship facts — two households are related when one person has belonged to
  both;
* ``accounts``: open bank accounts (``account_number``, ``household_number``, ``holder_id``).

:func:`findings_expression` returns one row per piece of evidence: ``kind``, ``subject`` (the
person's ID number, or the account number for a shared account), ``household_number``,
``source``, ``batch``, ``row``, ``date`` and ``detail``; a finding is the rows of one (kind,
subject), grouped by :func:`group_findings`.

What each kind means (the law's rule, never tuned on the demo's truth):

* ``paid_deceased``: on the roll, or a current member of a paid household, at a date on or after
  a recorded death;
* ``paid_imprisoned``: the same, while serving (admitted on or before, not released by then);
* ``paid_public_payroll``: the same, while on the public payroll (since on or before);
* ``duplicate_benefit``: the same person on the roll of two or more households;
* ``exclusive_programmes``: the same person in two programmes the rules make exclusive;
* ``staff_relative``: a civil-affairs staff member who belongs, or belonged, to a paid household;
* ``shared_account``: one account receiving for two or more households of which at least two are
  unrelated (no person ever in both).
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from safetynet.cases.models import CASH_PROGRAMMES

ROLL_SCHEMA = pa.schema([
    pa.field("id_number", pa.string()),
    pa.field("household_number", pa.string()),
    pa.field("programme", pa.string()),
    pa.field("source", pa.string()),
    pa.field("batch", pa.string()),
    pa.field("row", pa.int64()),
    pa.field("as_of", pa.date32()),
])
DEATHS_SCHEMA = pa.schema([pa.field("id_number", pa.string()), pa.field("death_date", pa.date32())])
HISTORY_SCHEMA = pa.schema([
    pa.field("id_number", pa.string()),
    pa.field("household_number", pa.string()),
    pa.field("current", pa.bool_()),
])
ACCOUNTS_SCHEMA = pa.schema([
    pa.field("account_number", pa.string()),
    pa.field("household_number", pa.string()),
    pa.field("holder_id", pa.string()),
    pa.field("account_id", pa.int64()),
])

#: Programme pairs a person may not receive together (《社会救助暂行办法》: 特困 and 低保 exclude
#: each other; 低保边缘 is for those above the 低保 line).
EXCLUSIVE_PAIRS = (("dibao", "tekun"), ("dibao", "low_income_margin"), ("low_income_margin", "tekun"))


def benefits_roll(benefits: ibis.Table) -> ibis.Table:
    """The lake's civil-affairs roll in the shape of ``ROLL_SCHEMA``."""
    return benefits.select(
        id_number=benefits.id_number, household_number=benefits.household_number, programme=benefits.programme,
        source=ibis.literal("benefits"), batch=benefits._batch, row=benefits._row.cast("int64"),
        as_of=benefits._as_of.cast("date"),
    )


def _finding(t: ibis.Table, kind: str, *, subject, household, source, batch, row, date, detail) -> ibis.Table:
    return t.select(
        kind=ibis.literal(kind), subject=subject, household_number=household, source=source,
        batch=batch, row=row.cast("int64"), date=date.cast("string"), detail=detail.cast("string"),
    )


def findings_expression(
    *,
    roll: ibis.Table,
    hukou_deaths: ibis.Table,
    prison: ibis.Table,
    public_payroll: ibis.Table,
    staff: ibis.Table,
    deaths: ibis.Table,
    history: ibis.Table,
    accounts: ibis.Table,
) -> ibis.Table:
    cash = roll.filter(roll.programme.isin(CASH_PROGRAMMES))
    # Everyone a cash payment stands for: the persons on the roll, and the current members of each
    # paid household (a death nobody reported to civil affairs leaves the roll listing unchanged).
    paid_households = cash.group_by("household_number").aggregate(
        as_of=cash.as_of.max(), source=cash.source.min(), batch=cash.batch.min(), row=cash.row.min())
    current = history.filter(history.current)
    members = current.join(paid_households, "household_number").select(
        "id_number", "household_number", "as_of", "source", "batch", "row")
    listed = cash.select("id_number", "household_number", "as_of", "source", "batch", "row")
    cash = listed.union(members.anti_join(listed, ["id_number", "household_number"]), distinct=True)
    parts = []

    # 发放: deceased (the death registry's records, then the registry's own death dates)
    d = hukou_deaths
    j = cash.join(d, cash.id_number == d.id_number).filter(lambda t: t.death_date <= t.as_of)
    parts.append(_finding(j, "paid_deceased", subject=j.id_number, household=j.household_number,
                          source=ibis.literal("hukou_deaths"), batch=j._batch, row=j._row, date=j.death_date,
                          detail=j.source.concat(":", j.batch, ":", j.row.cast("string"))))
    r = deaths
    j = cash.join(r, cash.id_number == r.id_number).filter(lambda t: t.death_date <= t.as_of)
    parts.append(_finding(j, "paid_deceased", subject=j.id_number, household=j.household_number,
                          source=ibis.literal("registry"), batch=ibis.literal(""), row=ibis.literal(-1),
                          date=j.death_date, detail=j.source.concat(":", j.batch, ":", j.row.cast("string"))))
    # 发放: imprisoned
    p = prison
    j = cash.join(p, cash.id_number == p.id_number).filter(
        lambda t: (t.admitted_on <= t.as_of) & (t.released_on.isnull() | (t.released_on > t.as_of)))
    parts.append(_finding(j, "paid_imprisoned", subject=j.id_number, household=j.household_number,
                          source=ibis.literal("prison"), batch=j._batch, row=j._row, date=j.admitted_on,
                          detail=j.source.concat(":", j.batch, ":", j.row.cast("string"))))
    # 发放: public payroll
    pp = public_payroll
    j = cash.join(pp, cash.id_number == pp.id_number).filter(lambda t: t.since <= t.as_of)
    parts.append(_finding(j, "paid_public_payroll", subject=j.id_number, household=j.household_number,
                          source=ibis.literal("public_payroll"), batch=j._batch, row=j._row, date=j.since,
                          detail=j.source.concat(":", j.batch, ":", j.row.cast("string"))))

    # 发放: the same person on two households' rolls
    per_person = roll.group_by("id_number").aggregate(households=roll.household_number.nunique())
    dup_ids = per_person.filter(per_person.households >= 2).select("id_number")
    j = roll.join(dup_ids, "id_number")
    parts.append(_finding(j, "duplicate_benefit", subject=j.id_number, household=j.household_number,
                          source=j.source, batch=j.batch, row=j.row, date=j.as_of, detail=j.programme))

    # 政策叠加: exclusive programmes for one person
    progs = roll.group_by("id_number").aggregate(
        **{f"has_{p}": (roll.programme == p).any() for p in CASH_PROGRAMMES})
    clash = ibis.literal(False)
    for a, b in EXCLUSIVE_PAIRS:
        clash = clash | (progs[f"has_{a}"] & progs[f"has_{b}"])
    ex_ids = progs.filter(clash).select("id_number")
    j = roll.join(ex_ids, "id_number")
    parts.append(_finding(j, "exclusive_programmes", subject=j.id_number, household=j.household_number,
                          source=j.source, batch=j.batch, row=j.row, date=j.as_of, detail=j.programme))

    # 政策叠加: staff who belong or belonged to a paid household (the kinship facts)
    s = staff
    sh = s.join(history, s.id_number == history.id_number).select(
        id_number=s.id_number, household_number=history.household_number, _batch=s._batch, _row=s._row,
        since=s.since)
    j = sh.join(paid_households.select("household_number"), "household_number")
    parts.append(_finding(j, "staff_relative", subject=j.id_number, household=j.household_number,
                          source=ibis.literal("staff"), batch=j._batch, row=j._row, date=j.since,
                          detail=ibis.literal("membership_history")))

    # 发放: one account for unrelated households
    a = accounts.select("account_number", "household_number")
    b = a.view()
    pairs = a.join(b, (a.account_number == b.account_number) & (a.household_number < b.household_number)).select(
        account_number=a.account_number, h1=a.household_number, h2=b.household_number)
    h1 = history.select(id_number=history.id_number, h1=history.household_number)
    h2 = history.select(id_number=history.id_number, h2=history.household_number)
    related = h1.join(h2, "id_number").select("h1", "h2").distinct()
    unrelated = pairs.anti_join(related, ["h1", "h2"])
    flagged = unrelated.select("account_number").distinct()
    j = accounts.join(flagged, "account_number")
    parts.append(_finding(j, "shared_account", subject=j.account_number, household=j.household_number,
                          source=ibis.literal("bank_accounts"), batch=ibis.literal(""), row=j.account_id,
                          date=ibis.literal(None, type="date"), detail=j.holder_id))

    return ibis.union(*parts, distinct=True)


def group_findings(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """``{(kind, subject): evidence rows}``, evidence sorted (source, batch, row) for stable output."""
    out: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        out.setdefault((row["kind"], row["subject"]), []).append(row)
    for items in out.values():
        items.sort(key=lambda r: (r["household_number"] or "", r["source"] or "", r["batch"] or "", r["row"] or 0))
    return out
