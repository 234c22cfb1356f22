"""Bad deliveries a data steward meets, each fed whole: none may erase, double or crash anything."""

import datetime as dt
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.core.errors import PermissionDenied
from safetynet.core.roles import Role
from safetynet.core.testing import make_user
from safetynet.engine.lake import batches_in_force
from safetynet.registry.idnumber import make_resident_id
from safetynet.sources.errors import BatchNotHeld, FileRefused
from safetynet.sources.models import BatchStatus, QuarantinedRow, SourceBatch
from safetynet.sources.services import source_ingest
from safetynet.sources.stewardship import batch_confirm, batch_reject
from safetynet.sources.tests.test_ingest import GOOD_ID, GOOD_ID_2, HEADER, _row, _write

IDS = [make_resident_id("990101", dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28), 10 + i, "MF"[i % 2]) for i in range(30)]
UNEMPLOYMENT = {
    "id_number": IDS,
    "name": ["张三"] * 30,
    "registered_on": [dt.date(2026, 3, 1)] * 30,
    "status": ["registered"] * 30,
    "monthly_benefit": ["1200.00"] * 30,
    "benefit_start": [None] * 30,
    "benefit_end": [None] * 30,
    "reported_on": [dt.date(2026, 9, 30)] * 30,
}


def _unemployment(tmp_path, name, **override) -> os.PathLike:
    path = tmp_path / name
    pq.write_table(pa.table({**UNEMPLOYMENT, **override}), path)
    return path


@pytest.mark.django_db
def test_a_parquet_with_integer_dates_is_held_and_never_replaces_the_good_extract(lake, tmp_path, capsys):
    # given a good full extract of 30 unemployed persons in force
    good = source_ingest(source_name="unemployment", path=_unemployment(tmp_path, "good.parquet")).batch
    assert (good.status, good.accepted) == (BatchStatus.LANDED, 30)
    # when the next delivery stores its dates as integers (20261031), so every row is quarantined
    as_int = {
        "registered_on": pa.array([20260301] * 30, pa.int64()),
        "reported_on": pa.array([20261031] * 30, pa.int64()),
    }
    bad = _unemployment(tmp_path, "bad.parquet", **as_int)
    with pytest.raises(CommandError) as err:
        call_command("ingest", "unemployment", str(bad), json=True)
    # then the CLI says held, why, and exits non-zero
    out = json.loads(capsys.readouterr().out)
    assert err.value.returncode == 3
    assert (out["status"], out["held"], out["accepted"], out["quarantined"]) == ("held", True, 0, 30)
    assert [r["code"] for r in out["hold_reasons"]] == ["accepted_none"]
    # and the good extract is still the one in force; the held batch replaced nothing
    good.refresh_from_db()
    assert good.superseded_by_id is None
    in_force = batches_in_force(on=dt.date(2026, 12, 31), sources=("unemployment",))["unemployment"]
    assert [b.batch_id for b in in_force] == [good.batch_id]


@pytest.mark.django_db
def test_a_much_smaller_extract_is_held_until_a_steward_confirms_it(lake, tmp_path, tree):
    good = source_ingest(source_name="unemployment", path=_unemployment(tmp_path, "good.parquet")).batch
    # given a later extract with a third of the rows and every status changed
    small = {k: v[:10] for k, v in UNEMPLOYMENT.items()}
    small["status"] = ["receiving_benefit"] * 10
    small["reported_on"] = [dt.date(2026, 10, 31)] * 10
    path = tmp_path / "small.parquet"
    pq.write_table(pa.table(small), path)
    # when it is ingested
    result = source_ingest(source_name="unemployment", path=path)
    held = result.batch
    # then it is held for the falls it shows, with the catalogue's thresholds
    assert result.held and held.landed_at is None
    codes = {r["code"]: r for r in held.hold_reasons}
    assert set(codes) == {"accepted_drop", "persons_drop", "distribution_shift"}
    assert codes["accepted_drop"]["limit"] == 0.5 and codes["distribution_shift"]["column"] == "status"
    on = dt.date(2026, 11, 30)
    assert [b.batch_id for b in batches_in_force(on=on, sources=("unemployment",))["unemployment"]] == [good.batch_id]
    # a data provider may not decide; a steward must give a reason
    with pytest.raises(PermissionDenied):
        batch_confirm(batch_id=held.batch_id, actor=make_user(Role.DATA_PROVIDER, tree.city), note="ok")
    steward = make_user(Role.VERIFICATION_CENTRE, tree.city)
    # when a steward confirms it
    batch_confirm(batch_id=held.batch_id, actor=steward, note="部门确认：本月集中办理了退出")
    # then it lands, replaces the good extract, and the decision is audited
    held.refresh_from_db()
    good.refresh_from_db()
    assert (held.status, held.decided_by, good.superseded_by_id) == (BatchStatus.LANDED, steward, held.pk)
    assert [b.batch_id for b in batches_in_force(on=on, sources=("unemployment",))["unemployment"]] == [held.batch_id]
    assert AuditEvent.objects.filter(action="source.batch.confirm", target_id=str(held.pk)).count() == 1
    # and deciding twice is refused
    with pytest.raises(BatchNotHeld):
        batch_reject(batch_id=held.batch_id, actor=steward, note="")


@pytest.mark.django_db
def test_a_rejected_batch_stays_on_record_and_is_never_read(lake, tmp_path, tree):
    good = source_ingest(source_name="unemployment", path=_unemployment(tmp_path, "good.parquet")).batch
    as_int = {"reported_on": pa.array([20261031] * 30, pa.int64())}
    held = source_ingest(source_name="unemployment", path=_unemployment(tmp_path, "bad.parquet", **as_int)).batch
    batch_reject(batch_id=held.batch_id, actor=make_user(Role.ADMIN, tree.city), note="部门重新导出")
    held.refresh_from_db()
    assert held.status == BatchStatus.REJECTED and (lake / held.lake_path).is_file()
    in_force = batches_in_force(on=dt.date(2026, 12, 31), sources=("unemployment",))["unemployment"]
    assert [b.batch_id for b in in_force] == [good.batch_id]


@pytest.mark.django_db
def test_identical_rows_count_once_and_conflicting_keys_are_both_quarantined(lake, tmp_path):
    # given three copies of one row, and two rows for one person, employer and month with other wages
    text = HEADER + _row() * 3 + _row(id_number=GOOD_ID_2, wage="3000") + _row(id_number=GOOD_ID_2, wage="9000")
    batch = source_ingest(source_name="tax_wages", path=_write(tmp_path, "w.csv", text)).batch
    # then one copy lands, the other two are counted as duplicates, and both conflicting rows wait
    assert (batch.received, batch.accepted, batch.quarantined) == (5, 1, 4)
    assert (batch.duplicates, batch.conflicts) == (2, 2)
    rows = {q.row_number: q for q in QuarantinedRow.objects.filter(batch=batch)}
    assert [rows[2].reason_code, rows[3].reason_code] == ["duplicate", "duplicate"]
    assert "与第1行完全相同" in rows[2].reason
    assert (rows[4].reason_code, rows[5].reason_code) == ("conflict", "conflict")
    assert "与第5行" in rows[4].reason and "与第4行" in rows[5].reason
    assert {rows[4].raw["wage_income"], rows[5].raw["wage_income"]} == {"3000", "9000"}
    table = pq.read_table(lake / batch.lake_path)
    assert table.column("_row").to_pylist() == [1]


@pytest.mark.django_db
def test_an_events_row_resent_in_a_later_batch_is_not_a_second_event(lake, tmp_path):
    header = "id_number,name,reported_on,sex,death_date,death_place,hukou_region_code\n"
    first = header + f"{GOOD_ID},张三,2026-10-01,F,2026-09-30,家中,\n"
    second = first + f"{GOOD_ID_2},李四,2026-10-02,M,2026-10-01,医院,\n"
    source_ingest(source_name="hukou_deaths", path=_write(tmp_path, "d1.csv", first))
    batch = source_ingest(source_name="hukou_deaths", path=_write(tmp_path, "d2.csv", second)).batch
    assert (batch.received, batch.accepted, batch.duplicates) == (2, 1, 1)
    assert QuarantinedRow.objects.get(batch=batch).reason_code == "duplicate.previous"


@pytest.mark.django_db
def test_future_dates_are_quarantined_with_the_reason(lake, tmp_path):
    # given a birth date in 2030 with a valid check digit, and a wage reported in 2099
    born_2030 = make_resident_id("990101", dt.date(2030, 1, 1), 12, "F")
    today = timezone.localdate()
    text = HEADER + _row() + _row(id_number=born_2030) + _row(id_number=GOOD_ID_2, reported="2099-01-01")
    batch = source_ingest(source_name="tax_wages", path=_write(tmp_path, "w.csv", text)).batch
    rows = {q.row_number: q for q in QuarantinedRow.objects.filter(batch=batch)}
    assert batch.accepted == 1 and set(rows) == {2, 3}
    # the future birth date is the row's only fault, so it waits for a clerk with its reason kept
    assert "出生日期晚于批次日期" in rows[2].reason
    assert rows[3].reason_code == "date.future" and f"晚于批次日期{today.isoformat()}" in rows[3].reason
    assert batch.as_of == dt.date(2026, 10, 31)


@pytest.mark.django_db
def test_a_source_tolerance_and_future_columns_are_respected(lake, tmp_path):
    # the deaths register tolerates one day; an expected release date is naturally in the future
    header = "id_number,name,reported_on,sex,death_date,death_place,hukou_region_code\n"
    text = header + f"{GOOD_ID},张三,2026-10-02,F,2026-10-02,家中,\n" + f"{GOOD_ID_2},李四,2026-10-03,M,2026-10-01,家中,\n"
    batch = source_ingest(source_name="hukou_deaths", path=_write(tmp_path, "d.csv", text), as_of=dt.date(2026, 10, 1)).batch
    assert (batch.accepted, QuarantinedRow.objects.get(batch=batch).row_number) == (1, 2)
    prison = (
        "id_number,name,reported_on,prison_name,admitted_on,expected_release_on,released_on\n"
        f"{GOOD_ID},张三,2026-10-31,示范监狱,2020-01-01,2031-01-01,\n"
    )
    assert source_ingest(source_name="prison", path=_write(tmp_path, "p.csv", prison)).batch.accepted == 1


@pytest.mark.django_db
def test_a_huge_line_is_a_quarantined_row_and_a_huge_header_refuses_with_json(lake, tmp_path, settings, capsys):
    # given a file whose second row is 3 MB on one line (over the 1 MiB limit)
    text = HEADER + _row() + _row(id_number=GOOD_ID_2, name="长" * 1_000_000) + _row(id_number=GOOD_ID_2, period="2026-09")
    batch = source_ingest(source_name="tax_wages", path=_write(tmp_path, "w.csv", text)).batch
    # then it is quarantined with its size, its first characters kept as evidence, and the rest lands
    assert (batch.received, batch.accepted, batch.quarantined) == (3, 2, 1)
    q = QuarantinedRow.objects.get(batch=batch)
    assert (q.row_number, q.reason_code, q.raw["bytes"]) == (2, "line.too_long", len(_row(id_number=GOOD_ID_2, name="长" * 1_000_000).encode()) - 1)
    assert len(q.raw["line"]) < 300
    assert pq.read_table(lake / batch.lake_path).column("_row").to_pylist() == [1, 3]
    # and the same in JSON Lines
    good = {"id_number": GOOD_ID, "name": "张三", "employer_credit_code": "x", "employer_name": "厂",
            "period": "2026-10", "wage_income": 1, "tax_withheld": 0, "reported_on": "2026-10-31"}
    lines = [json.dumps(good), json.dumps({**good, "name": "x" * 2_000_000}), json.dumps({**good, "period": "2026-08"})]
    jb = source_ingest(source_name="tax_wages", path=_write(tmp_path, "w.jsonl", "\n".join(lines))).batch
    assert (jb.accepted, QuarantinedRow.objects.get(batch=jb).reason_code) == (2, "line.too_long")
    # a file without a line break is refused, and --json still prints its object
    no_break = tmp_path / "one-line.csv"
    with no_break.open("w") as fh:
        for _ in range(3):
            fh.write("x" * 1_000_000)
    with pytest.raises(CommandError) as err:
        call_command("ingest", "tax_wages", str(no_break), json=True)
    out = json.loads(capsys.readouterr().out)
    assert err.value.returncode == 2
    assert (out["refused"], out["code"], out["details"]["bytes"]) == (True, "source.line_too_long", 3_000_000)


@pytest.mark.django_db
def test_extra_columns_are_reported_and_kept_beside_the_batch(lake, tmp_path, capsys):
    text = HEADER.rstrip("\n") + ",remark\n" + _row().rstrip("\n") + ",备注一\n"
    call_command("ingest", "tax_wages", str(_write(tmp_path, "w.csv", text)), json=True)
    out = json.loads(capsys.readouterr().out)
    assert (out["accepted"], out["extra_columns"]) == (1, ["remark"])
    batch = SourceBatch.objects.get(batch_id=out["batch_id"])
    kept = pq.read_table(lake / batch.extra_path).to_pylist()
    assert kept == [{"_row": 1, "remark": "备注一"}]
    assert "remark" not in pq.read_table(lake / batch.lake_path).column_names


@pytest.mark.django_db
def test_a_directory_an_unreadable_file_and_a_wrong_encoding_each_get_their_own_message(lake, tmp_path):
    with pytest.raises(FileRefused) as err:
        source_ingest(source_name="tax_wages", path=tmp_path)
    assert err.value.code == "source.is_directory" and "目录" in err.value.message
    with pytest.raises(FileRefused) as err:
        source_ingest(source_name="tax_wages", path=tmp_path / "nope.csv")
    assert err.value.code == "source.file_missing"
    locked = _write(tmp_path, "locked.csv", HEADER + _row())
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):  # running as root: permissions do not bind
            pytest.skip("root reads any file")
        with pytest.raises(FileRefused) as err:
            source_ingest(source_name="tax_wages", path=locked)
        assert err.value.code == "source.unreadable" and "权限" in err.value.message
    finally:
        locked.chmod(0o600)
    with pytest.raises(FileRefused) as err:
        source_ingest(source_name="tax_wages", path=_write(tmp_path, "gbk.csv", HEADER + _row(name="王五"), encoding="gb18030"))
    assert err.value.code == "source.encoding"


@pytest.mark.django_db
def test_the_batch_page_shows_a_held_batch_and_a_steward_decides_there(lake, tmp_path, tree, client):
    source_ingest(source_name="unemployment", path=_unemployment(tmp_path, "good.parquet"))
    as_int = {"reported_on": pa.array([20261031] * 30, pa.int64())}
    held = source_ingest(source_name="unemployment", path=_unemployment(tmp_path, "bad.parquet", **as_int)).batch
    # a supervisor sees why it is held but has no buttons
    client.force_login(make_user(Role.SUPERVISOR, tree.city))
    page = client.get(f"/sources/batches/{held.batch_id}/").content.decode()
    assert "本批次已暂扣" in page and "没有一行通过校验" in page and "确认生效" not in page
    assert held.batch_id in client.get("/sources/").content.decode()
    # a steward rejects it on the page
    client.force_login(make_user(Role.VERIFICATION_CENTRE, tree.city))
    assert "确认生效" in client.get(f"/sources/batches/{held.batch_id}/").content.decode()
    response = client.post(f"/sources/batches/{held.batch_id}/decision/", {"decision": "reject", "note": "重新导出"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == BatchStatus.REJECTED and held.decision_note == "重新导出"
    # a second decision on the page is answered in words, not a crash
    again = client.post(f"/sources/batches/{held.batch_id}/decision/", {"decision": "confirm", "note": "x"}, follow=True)
    assert again.status_code == 200 and "不在暂扣状态" in again.content.decode()
