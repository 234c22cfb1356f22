"""The lake holds no identity in the clear: landed keys are blind indexes, names keyed hashes, and
batches landed before that are rewritten once by ``lake_pseudonymise``."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from safetynet.core.crypto import blind_index
from safetynet.registry.idnumber import make_resident_id
from safetynet.sources.services import lake_pseudonymise, source_ingest

NUMBER = make_resident_id("990101", dt.date(1980, 5, 17), 12, "F")
HEADER = "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on\n"


@pytest.mark.django_db
def test_a_landed_batch_holds_keys_not_numbers_and_old_batches_are_rewritten(lake, tmp_path):
    # given a batch landed by ingestion
    path = tmp_path / "wages.csv"
    path.write_text(HEADER + f"{NUMBER.lower()},张三,91990100MA0000001X,示范厂,2026-10,3200.50,0,2026-10-31\n",
                    encoding="utf-8")
    batch = source_ingest(source_name="tax_wages", path=path).batch
    landed = lake / batch.lake_path
    row = pq.read_table(landed).to_pylist()[0]
    # then the key is the registry's blind index and the name a keyed hash; the numbers stay
    assert row["id_number"] == blind_index(NUMBER, "id") and row["name"] == blind_index("张三", "personal")
    assert str(row["wage_income"]) == "3200.50"
    assert NUMBER.encode() not in landed.read_bytes() and "张三".encode() not in landed.read_bytes()
    # given the same batch as an older release landed it (numbers and names in the clear)
    table = pq.read_table(landed)
    legacy = table.set_column(table.schema.get_field_index("id_number"), "id_number", pa.array([NUMBER]))
    legacy = legacy.set_column(legacy.schema.get_field_index("name"), "name", pa.array(["张三"]))
    pq.write_table(legacy, landed)
    # when
    first, again = lake_pseudonymise(), lake_pseudonymise()
    # then it is rewritten once, to exactly what ingestion lands now
    assert first == {"tax_wages": 1} and again == {}
    assert pq.read_table(landed).to_pylist() == [row]
