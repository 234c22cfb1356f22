import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from safetynet.audit.models import AuditEvent
from safetynet.core.crypto import blind_index
from safetynet.core.testing import Role, make_person, make_user
from safetynet.sources import linkage
from safetynet.sources.errors import LinkReviewAlreadyDecided
from safetynet.sources.link_review import link_review_decide
from safetynet.sources.models import LinkReview, LinkReviewStatus, QuarantinedRow
from safetynet.sources.services import source_ingest

HEADER = "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on\n"


def _row(id_number: str, name: str, wage: str = "3200.50") -> str:
    return f"{id_number},{name},91990100MA0000001X,示范厂,2026-10,{wage},0,2026-10-31\n"


def _one_digit_off(id_number: str, position: int) -> str:
    # The check digit is kept, so the number no longer validates (MOD 11-2 catches every
    # single-digit error).
    digit = str((int(id_number[position]) + 3) % 10)
    return id_number[:position] + digit + id_number[position + 1 :]


@pytest.fixture
def registry(tree):
    persons = {
        # sequence code 246: the transposition test swaps two of its digits, whatever ran before
        "zhang": make_person(tree.east_community, name="张三", birth_date=dt.date(1980, 5, 17), sex="F", sequence=123),
        "li_1": make_person(tree.east_community, name="李四", birth_date=dt.date(1975, 1, 2), sex="M"),
        "li_2": make_person(tree.west_community, name="李四", birth_date=dt.date(1990, 8, 9), sex="M"),
    }
    for i in range(12):
        make_person(tree.east_community_2, name=f"王{'伟芳娜敏静丽强磊军洋勇艳'[i]}", birth_date=dt.date(1960 + i, 3, 1 + i))
    return persons


@pytest.mark.django_db
def test_a_one_digit_id_typo_links_to_the_right_person_and_says_so(lake, tmp_path, registry):
    # given a wage file with a directly matching row and a row whose ID has one wrong birth-date digit
    zhang, li = registry["zhang"], registry["li_1"]
    typo = _one_digit_off(zhang.id_number, 12)
    path = tmp_path / "wages.csv"
    path.write_text(HEADER + _row(li.id_number, "李四") + _row(typo, "张三"), encoding="utf-8")
    # when it is ingested
    batch = source_ingest(source_name="tax_wages", path=path).batch
    # then both rows land, the typo under the registry's number, citing what was sent and how sure
    assert (batch.received, batch.accepted, batch.quarantined) == (2, 2, 0)
    rows = pq.read_table(lake / batch.lake_path).to_pylist()
    # (the lake holds each number as its blind index, never in the clear)
    assert [r["id_number"] for r in rows] == [li.id_number_index, zhang.id_number_index]
    assert rows[0]["_linked_from"] is None and rows[0]["_match_probability"] is None
    assert rows[1]["_linked_from"] == blind_index(typo, "id")
    assert rows[1]["_match_probability"] >= linkage.DEFAULT_THRESHOLD
    assert not LinkReview.objects.exists()
    event = AuditEvent.objects.get(action="source.ingest")
    assert event.data["linked"] == 1 and event.data["link_review"] == 0


@pytest.mark.django_db
def test_a_transposed_id_links_and_a_stricter_threshold_sends_it_to_review(lake, tmp_path, registry, settings):
    zhang = registry["zhang"]
    d = zhang.id_number
    swapped = next(d[:i] + d[i + 1] + d[i] + d[i + 2 :] for i in range(14, 6, -1) if d[i] != d[i + 1])
    path = tmp_path / "wages.csv"
    path.write_text(HEADER + _row(swapped, "张三"), encoding="utf-8")
    candidates = pa.Table.from_pylist(
        [{"unique_id": 1, "id_number": swapped, "name": "张三", "birth_digits": swapped[6:14]}],
        schema=linkage.CANDIDATE_SCHEMA,
    )
    links = linkage.link_rows(candidates).to_pylist()
    assert links[0]["person_id"] == zhang.pk
    p = links[0]["match_probability"]
    assert p >= linkage.DEFAULT_THRESHOLD

    # when the threshold is set above the link's probability, the row is not accepted
    settings.SAFETYNET_LINK_THRESHOLD = (1 + p) / 2 if p < 1 else 1.01
    batch = source_ingest(source_name="tax_wages", path=path).batch
    assert (batch.received, batch.accepted, batch.quarantined) == (1, 0, 1)
    q = QuarantinedRow.objects.get(batch=batch)
    assert q.reason_code == "link.review"
    assert "张三(" in q.reason and "低于阈值" in q.reason
    assert LinkReview.objects.get(batch=batch).candidate_id == zhang.pk


@pytest.mark.django_db
def test_a_wrong_id_with_a_name_two_persons_share_is_not_guessed(lake, tmp_path, registry):
    # given a row whose ID is not an ID at all and whose name belongs to two registry persons
    path = tmp_path / "wages.csv"
    path.write_text(HEADER + _row("4401", "李四") + _row("", "李四", wage="-1"), encoding="utf-8")
    # when it is ingested
    batch = source_ingest(source_name="tax_wages", path=path).batch
    # then it is quarantined for review with the most likely candidate and its low probability;
    # the row with a second fault (negative wage) is quarantined for that fault, not linked
    assert (batch.received, batch.accepted, batch.quarantined) == (2, 0, 2)
    reasons = dict(QuarantinedRow.objects.filter(batch=batch).values_list("row_number", "reason_code"))
    assert reasons == {1: "link.review", 2: "missing"}
    review = LinkReview.objects.get()
    assert (review.batch_id, review.row_number, review.status) == (batch.pk, 1, LinkReviewStatus.PENDING)
    assert review.candidate_id in {registry["li_1"].pk, registry["li_2"].pk}
    assert review.probability < linkage.DEFAULT_THRESHOLD
    assert "4401" in QuarantinedRow.objects.get(batch=batch, row_number=1).reason


@pytest.mark.django_db
def test_a_clerk_confirms_a_review_and_the_decision_is_audited(lake, tmp_path, registry, tree):
    path = tmp_path / "wages.csv"
    path.write_text(HEADER + _row("4401", "李四"), encoding="utf-8")
    batch = source_ingest(source_name="tax_wages", path=path).batch
    review = LinkReview.objects.get(batch=batch)
    clerk = make_user(Role.VERIFICATION_CENTRE, tree.city)
    chosen = registry["li_2"]
    # when the clerk confirms the other 李四
    decided = link_review_decide(review_id=review.pk, actor=clerk, person_id=chosen.pk, note="经电话核实")
    # then the review records who decided what, and an audit event says the same
    decided.refresh_from_db()
    assert (decided.status, decided.candidate_id, decided.decided_by_id) == ("confirmed", chosen.pk, clerk.pk)
    assert decided.decided_at is not None
    event = AuditEvent.objects.get(action="source.link_review.confirmed")
    assert event.actor_id == clerk.pk and event.target_id == str(review.pk)
    assert event.data["person_id"] == chosen.pk and event.data["proposed_person_id"] == review.candidate_id
    # and the row landed into its batch under the confirmed person, in a new file beside the old one
    old_path = batch.lake_path
    batch.refresh_from_db()
    assert (batch.accepted, batch.quarantined, batch.received) == (1, 0, 1)
    assert batch.lake_path != old_path and (lake / old_path).is_file()
    assert pq.read_table(lake / old_path).num_rows == 0
    landed = pq.read_table(lake / batch.lake_path).to_pylist()
    assert [(r["_row"], r["id_number"], r["_linked_from"]) for r in landed] == [(1, chosen.id_number_index, blind_index("4401", "id"))]
    assert QuarantinedRow.objects.get(batch=batch, row_number=1).relanded_at is not None
    assert event.data["relanded_to"] == batch.lake_path
    # and a second decision is refused
    with pytest.raises(LinkReviewAlreadyDecided) as err:
        link_review_decide(review_id=review.pk, actor=clerk, person_id=None, note="")
    assert err.value.code == "source.link_review.decided"


@pytest.mark.django_db
def test_a_rejected_review_keeps_the_row_quarantined(lake, tmp_path, registry, tree):
    path = tmp_path / "wages.csv"
    path.write_text(HEADER + _row("4401", "李四"), encoding="utf-8")
    batch = source_ingest(source_name="tax_wages", path=path).batch
    review = LinkReview.objects.get(batch=batch)
    clerk = make_user(Role.VERIFICATION_CENTRE, tree.city)
    link_review_decide(review_id=review.pk, actor=clerk, person_id=None, note="非本市人员")
    review.refresh_from_db()
    assert review.status == LinkReviewStatus.REJECTED
    assert AuditEvent.objects.filter(action="source.link_review.rejected", target_id=str(review.pk)).count() == 1
    assert QuarantinedRow.objects.filter(batch=batch, reason_code="link.review").count() == 1


@pytest.mark.django_db
def test_the_review_queue_page_lists_pending_rows_and_a_clerk_decides_there(lake, tmp_path, registry, tree):
    from django.test import Client

    from safetynet.core.errors import PermissionDenied

    path = tmp_path / "wages.csv"
    path.write_text(HEADER + _row("4401", "李四"), encoding="utf-8")
    batch = source_ingest(source_name="tax_wages", path=path).batch
    review = LinkReview.objects.get(batch=batch)
    clerk = make_user(Role.VERIFICATION_CENTRE, tree.city)
    client = Client()
    client.force_login(clerk)
    # given the queue page, the pending row is there with its candidate's masked ID
    page = client.get("/sources/link-reviews/").content.decode()
    assert review.candidate.name in page and review.candidate.id_number not in page
    # when the clerk confirms the proposed candidate from the page
    response = client.post(f"/sources/link-reviews/{review.pk}/", {"decision": "confirm",
                           "person_id": review.candidate_id, "note": "经电话核实"})
    # then the review is confirmed by that clerk and the queue is empty
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.decided_by_id) == (LinkReviewStatus.CONFIRMED, clerk.pk)
    assert "没有待核对的关联" in client.get("/sources/link-reviews/").content.decode()
    # and a role outside the reviewers may not decide
    with pytest.raises(PermissionDenied):
        link_review_decide(review_id=review.pk, actor=make_user(Role.ANALYST, tree.city), person_id=None)


@pytest.mark.django_db
def test_the_registry_is_read_once_while_it_is_unchanged(tree):
    # given a registry read for linkage
    make_person(tree.east_community, name="张三")
    first = linkage.registry_persons()
    # when nothing changed, the same table serves the next batch
    assert linkage.registry_persons() is first
    # when a person is added or renamed, the next read sees it
    added = make_person(tree.east_community, name="李四")
    second = linkage.registry_persons()
    assert second is not first and added.id_number in second.column("id_number").to_pylist()
    added.name = "李思"
    added.save(update_fields=["name", "updated_at"])
    assert "李思" in linkage.registry_persons().column("name").to_pylist()


@pytest.mark.django_db
def test_the_model_a_batch_used_is_saved_with_it_and_its_weights_are_shown(lake, tmp_path, registry, tree, client):
    zhang = registry["zhang"]
    path = tmp_path / "wages.csv"
    path.write_text(HEADER + _row(_one_digit_off(zhang.id_number, 16), "张三"), encoding="utf-8")
    batch = source_ingest(source_name="tax_wages", path=path).batch
    # the model is stored with the batch, with how it was estimated
    assert batch.linkage_model["safetynet_training"]["persons"] == 15
    assert "stated priors" in batch.linkage_model["safetynet_training"]["m"]  # a 1-row batch is too few to train
    levels = linkage.match_weights(batch.linkage_model)
    names = {(lv["comparison"], lv["level"]) for lv in levels}
    assert ("birth_digits", "day and month swapped") in names and ("given_name", "same pinyin (homophone)") in names
    surname = next(lv for lv in levels if lv["comparison"] == "surname" and lv["tf"] == "surname")
    assert surname["weight"] > 0
    # and a reader sees the weights on a page
    client.force_login(make_user(Role.SUPERVISOR, tree.city))
    page = client.get(f"/sources/batches/{batch.batch_id}/linkage-model/").content.decode()
    assert "day and month swapped" in page and "匹配权重" in page


def test_pinyin_makes_homophone_names_equal():
    assert linkage.pinyin_of(["张伟", "张玮", "章伟", None]) == ["zhangwei", "zhangwei", "zhangwei", None]


def _candidates(rows: list[tuple[int, str, str]]) -> pa.Table:
    n = len(rows)
    empty = pa.array([None] * n, pa.string())
    table = pa.table(
        {
            "unique_id": pa.array([r[0] for r in rows], pa.int64()),
            "id_number": pa.array([r[1] for r in rows]),
            "id_rest": empty,
            "name": pa.array([r[2] for r in rows]),
            "name_pinyin": empty,
            "surname": empty,
            "given_name": empty,
            "given_pinyin": empty,
            "birth_digits": pa.array([r[1][6:14] for r in rows]),
            "sex": empty,
            "hukou_region_code": empty,
            "residence_region_code": empty,
        }
    )
    return linkage.with_pinyin(table.cast(linkage.CANDIDATE_SCHEMA))


def test_every_single_keying_fault_reaches_its_person_through_blocking():
    # The blocking rules are what keep linkage fast at a million persons; they must still pair
    # a row with its person whatever digit was mistyped or whichever two adjacent ones swapped.
    from safetynet.registry.idnumber import make_resident_id

    people = [
        (i + 1, make_resident_id(f"99010{i % 3 + 1}", dt.date(1950, 1, 1) + dt.timedelta(days=97 * i), i % 400, "MF"[i % 2]),
         "张三" if i == 7 else f"王{'伟芳娜敏静丽强磊军洋勇艳'[i % 12]}{'明华'[i % 2]}")
        for i in range(300)
    ]
    person_id, true_id, name = people[7]
    faults = [true_id[:p] + str((int(true_id[p]) + 3) % 10) + true_id[p + 1 :] for p in range(17)]
    faults += [true_id[:p] + true_id[p + 1] + true_id[p] + true_id[p + 2 :] for p in range(17) if true_id[p] != true_id[p + 1]]
    # The ID rules alone (no name, no birth date) pair every fault with the true number, and
    # none of them would on its own.
    import duckdb

    con = duckdb.connect()
    pair = "(SELECT ? AS id_number, substr(?, 1, 6) || substr(?, 15) AS id_rest)"
    hits = {}
    for rule in linkage._BLOCKING[:4]:
        sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
        hits[sql] = {f for f in faults if con.execute(f"SELECT {sql} FROM {pair} l, {pair} r", [f] * 3 + [true_id] * 3).fetchone()[0]}
    assert set().union(*hits.values()) == set(faults)
    assert all(len(h) < len(faults) for h in hits.values())
    # And end to end, with the name mistyped too, each fault links to the person.
    all_faults = [true_id[:p] + str((int(true_id[p]) + 3) % 10) + true_id[p + 1 :] for p in range(17)]
    result = linkage.link_rows(_candidates([(i + 1, f, "章山") for i, f in enumerate(all_faults)]), _candidates(people))
    assert [r["person_id"] for r in result.to_pylist()] == [person_id] * 17
