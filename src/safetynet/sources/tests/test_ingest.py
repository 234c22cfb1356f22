import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safetynet.registry.idnumber import make_resident_id
from safetynet.sources.errors import FileRefused, UnknownSource
from safetynet.sources.models import LinkReview, QuarantinedRow, SourceBatch
from safetynet.sources.services import source_ingest

GOOD_ID = make_resident_id("990101", dt.date(1980, 5, 17), 12, "F")
GOOD_ID_2 = make_resident_id("990101", dt.date(1975, 1, 2), 40, "M")
BAD_CHECK = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
HEADER = "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on\n"


def _row(id_number=GOOD_ID, name="张三", wage="3200.50", reported="2026-10-31", period="2026-10"):
    return f"{id_number},{name},91990100MA0000001X,示范厂,{period},{wage},0,{reported}\n"


def _write(tmp_path: Path, name: str, text: str, encoding="utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.django_db
def test_good_and_bad_rows_reconcile_and_bad_ones_say_why(lake, tmp_path):
    # given a file with two good rows, a wrong check digit, a negative wage and a bad date
    path = _write(
        tmp_path,
        "wages.csv",
        HEADER
        + _row()
        + _row(id_number=GOOD_ID_2, name="李四")
        + _row(id_number=BAD_CHECK)
        + _row(wage="-5")
        + _row(reported="2026-13-01"),
    )
    # when it is ingested
    result = source_ingest(source_name="tax_wages", path=path)
    # then the counts reconcile and every bad row is quarantined with its exact reason
    batch = result.batch
    assert (batch.received, batch.accepted, batch.quarantined) == (5, 2, 3)
    reasons = {q.row_number: (q.reason_code, q.reason) for q in QuarantinedRow.objects.filter(batch=batch)}
    # the wrong check digit is the row's only fault, so it was offered to linkage; with no
    # registry persons to link to, it waits for a clerk, its validation reason kept
    assert reasons[3][0] == "link.review" and BAD_CHECK in reasons[3][1] and "校验位错误" in reasons[3][1]
    review = LinkReview.objects.get(batch=batch)
    assert (review.row_number, review.candidate_id, review.status) == (3, None, "pending")
    assert reasons[4][0] == "negative" and "不能为负数" in reasons[4][1]
    assert reasons[5][0] == "date" and "2026-13-01" in reasons[5][1]
    # and the landed Parquet holds the typed good rows with their file row numbers
    table = pq.read_table(lake / batch.lake_path)
    assert table.column("_row").to_pylist() == [1, 2]
    assert table.column("_linked_from").null_count == 2
    assert table.column("wage_income").to_pylist()[0] == pytest.approx(3200.50)
    assert table.schema.field("reported_on").type == pa.date32()
    assert batch.as_of == dt.date(2026, 10, 31)


@pytest.mark.django_db
def test_the_same_file_twice_is_a_no_op(lake, tmp_path):
    path = _write(tmp_path, "wages.csv", HEADER + _row())
    first = source_ingest(source_name="tax_wages", path=path)
    second = source_ingest(source_name="tax_wages", path=path)
    assert second.duplicate and second.batch.pk == first.batch.pk
    assert SourceBatch.objects.count() == 1


@pytest.mark.django_db
def test_newer_batch_supersedes_without_rewriting_the_old_file(lake, tmp_path):
    old = source_ingest(source_name="tax_wages", path=_write(tmp_path, "a.csv", HEADER + _row(reported="2026-09-30")))
    old_bytes = (lake / old.batch.lake_path).read_bytes()
    new = source_ingest(source_name="tax_wages", path=_write(tmp_path, "b.csv", HEADER + _row(reported="2026-10-31")))
    old.batch.refresh_from_db()
    assert old.batch.superseded_by_id == new.batch.pk
    assert (lake / old.batch.lake_path).read_bytes() == old_bytes


@pytest.mark.django_db
def test_gbk_file_is_refused_with_the_reason_and_accepted_when_declared(lake, tmp_path):
    path = _write(tmp_path, "gbk.csv", HEADER + _row(name="王五"), encoding="gb18030")
    with pytest.raises(FileRefused) as err:
        source_ingest(source_name="tax_wages", path=path)
    assert err.value.code == "source.encoding"
    assert "GB18030" in err.value.message
    assert SourceBatch.objects.count() == 0
    result = source_ingest(source_name="tax_wages", path=path, encoding="gb18030")
    assert result.batch.accepted == 1


@pytest.mark.django_db
def test_missing_columns_refuse_the_file_and_name_them(lake, tmp_path):
    path = _write(tmp_path, "w.csv", "id_number,name,reported_on\n" + f"{GOOD_ID},张三,2026-10-31\n")
    with pytest.raises(FileRefused) as err:
        source_ingest(source_name="tax_wages", path=path)
    assert err.value.code == "source.missing_columns"
    assert "wage_income" in err.value.message
    assert not (lake / "sources" / "tax_wages").exists() or not any((lake / "sources" / "tax_wages").iterdir())


@pytest.mark.django_db
def test_csv_truncated_mid_write_quarantines_the_cut_row(lake, tmp_path):
    text = HEADER + _row() + _row(id_number=GOOD_ID_2)
    path = _write(tmp_path, "cut.csv", text[: len(text) - 30])
    batch = source_ingest(source_name="tax_wages", path=path).batch
    assert (batch.received, batch.accepted, batch.quarantined) == (2, 1, 1)
    q = QuarantinedRow.objects.get(batch=batch)
    assert q.row_number == 2 and q.reason_code == "structure"


@pytest.mark.django_db
def test_parquet_truncated_mid_write_is_refused(lake, tmp_path):
    table = pa.table(
        {
            "id_number": [GOOD_ID],
            "name": ["张三"],
            "employer_credit_code": ["x"],
            "employer_name": ["厂"],
            "period": ["2026-10"],
            "wage_income": [100.0],
            "tax_withheld": [0.0],
            "reported_on": [dt.date(2026, 10, 31)],
        }
    )
    full = tmp_path / "full.parquet"
    pq.write_table(table, full)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(FileRefused) as err:
        source_ingest(source_name="tax_wages", path=cut)
    assert err.value.code == "source.corrupt"
    assert source_ingest(source_name="tax_wages", path=full).batch.accepted == 1


@pytest.mark.django_db
def test_jsonl_bad_lines_and_missing_fields_are_quarantined(lake, tmp_path):
    good = {
        "id_number": GOOD_ID, "name": "张三", "employer_credit_code": "x", "employer_name": "厂",
        "period": "2026-10", "wage_income": 100, "tax_withheld": 0, "reported_on": "2026-10-31",
    }
    lines = [json.dumps(good, ensure_ascii=False), "{not json", json.dumps({**good, "wage_income": None})]
    path = _write(tmp_path, "w.jsonl", "\n".join(lines) + "\n")
    batch = source_ingest(source_name="tax_wages", path=path).batch
    assert (batch.received, batch.accepted, batch.quarantined) == (3, 1, 2)
    codes = dict(QuarantinedRow.objects.filter(batch=batch).values_list("row_number", "reason_code"))
    assert codes == {2: "structure", 3: "missing"}


@pytest.mark.django_db
def test_a_failure_while_recording_leaves_no_batch_and_no_file(lake, tmp_path, monkeypatch):
    import safetynet.sources.services as services

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_record", boom)
    with pytest.raises(RuntimeError):
        source_ingest(source_name="tax_wages", path=_write(tmp_path, "w.csv", HEADER + _row()))
    assert SourceBatch.objects.count() == 0
    assert list((lake / "sources" / "tax_wages").glob("*")) == []


@pytest.mark.django_db
def test_unknown_source_and_format_are_refused(lake, tmp_path):
    with pytest.raises(UnknownSource):
        source_ingest(source_name="nope", path=_write(tmp_path, "w.csv", HEADER))
    with pytest.raises(FileRefused) as err:
        source_ingest(source_name="tax_wages", path=_write(tmp_path, "w.xlsx", "x"))
    assert err.value.code == "source.format"


@pytest.mark.django_db
def test_cli_json_prints_counts_and_exits_non_zero_on_refusal(lake, tmp_path, capsys):
    call_command("ingest", "tax_wages", str(_write(tmp_path, "w.csv", HEADER + _row() + _row(wage="x"))), json=True)
    out = json.loads(capsys.readouterr().out)
    assert (out["received"], out["accepted"], out["quarantined"]) == (2, 1, 1)
    assert out["batch_id"].startswith("tax_wages-20261031-")
    with pytest.raises(CommandError) as err:
        call_command("ingest", "tax_wages", str(_write(tmp_path, "e.csv", "id_number\n")), json=True)
    assert err.value.returncode == 2
