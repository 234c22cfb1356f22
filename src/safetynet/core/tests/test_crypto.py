"""Personal data at rest: sealed values, blind indexes, lookups through them, rotation."""

import json

import duckdb
import pytest
from django.core.exceptions import FieldError
from django.db import connection

from safetynet.core import crypto, keyring
from safetynet.core.fields import reseal_all
from safetynet.core.testing import make_person
from safetynet.registry.models import Household, Person


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.SAFETYNET_DATA_KEY_FILE = tmp_path / "keys" / "data.json"
    settings.SAFETYNET_INDEX_KEY_FILE = tmp_path / "keys" / "index.json"
    keyring.ring_forget()
    yield
    keyring.ring_forget()


def _stored(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cur.fetchone()[0]


def test_a_sealed_value_opens_only_for_its_purpose_and_names_its_key(settings):
    # when
    sealed = crypto.seal("11010519491231002X", purpose="registry.person.id_number")
    # then
    assert "11010519491231002X" not in sealed
    assert crypto.sealed_key_id(sealed) == crypto.data_ring().active
    assert crypto.open_sealed(sealed, purpose="registry.person.id_number") == "11010519491231002X"
    assert sealed != crypto.seal("11010519491231002X", purpose="registry.person.id_number")  # fresh nonce
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_sealed(sealed, purpose="registry.person.phone")


def test_a_tampered_value_is_refused():
    sealed = crypto.seal("13800000000", purpose="p")
    body = sealed.rsplit(":", 1)[1]
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_sealed(sealed.rsplit(":", 1)[0] + ":" + flipped, purpose="p")


def test_the_blind_index_in_duckdb_equals_the_one_in_python():
    con = duckdb.connect()
    values = ["11010519491231002x", " 110105194912310010 ", ""]
    got = [con.execute(f"SELECT {crypto.blind_index_sql('$1')}", [v]).fetchone()[0] for v in values]
    assert got == [crypto.blind_index(v, "id") for v in values]
    assert got[0] == crypto.blind_index("11010519491231002X", "id") and got[2] == ""
    assert crypto.blind_index("138-0000 0000", "phone") == crypto.blind_index("13800000000", "phone")
    assert crypto.blind_index("13800000000", "phone") != crypto.blind_index("13800000000", "id")


def test_a_person_is_stored_sealed_and_found_by_id_and_phone(tree):
    # given
    person = make_person(tree.east_community)
    # then: the database holds no clear value
    stored = _stored("registry_person", "id_number", person.pk)
    assert stored.startswith("v1:") and person.id_number not in stored
    assert person.phone not in _stored("registry_person", "phone", person.pk)
    # and exact lookups go through the blind index
    assert Person.objects.get(id_number=person.id_number.lower()) == person
    assert list(Person.objects.filter(phone=person.phone)) == [person]
    assert Person.objects.filter(id_number__in=[person.id_number, "x"]).count() == 1
    assert Person.objects.get(pk=person.pk).id_number == person.id_number
    with pytest.raises(FieldError):
        Person.objects.filter(id_number__startswith=person.id_number[:6]).count()


def test_an_address_is_sealed_and_cannot_be_searched(tree):
    household = Household.objects.create(number="H-1", region=tree.east_community, address="示范路 1 号")
    assert "示范路" not in _stored("registry_household", "address", household.pk)
    assert Household.objects.get(pk=household.pk).address == "示范路 1 号"
    with pytest.raises(FieldError):
        Household.objects.filter(address="示范路 1 号").count()


def test_update_and_bulk_update_keep_the_blind_index_in_step(tree):
    # given
    a, b = make_person(tree.east_community), make_person(tree.east_community)
    # when
    Person.objects.filter(pk=a.pk).update(phone="13911112222")
    b.phone = "13933334444"
    Person.objects.bulk_update([b], ["phone"])
    # then: the new values are sealed and found by their index; the old ones are not
    assert "13911112222" not in _stored("registry_person", "phone", a.pk)
    assert Person.objects.get(phone="13911112222") == a
    assert Person.objects.get(phone="139-3333 4444") == b
    assert not Person.objects.filter(phone=a.phone).exists()
    # and an expression cannot be indexed, so it is refused
    from django.db.models import F
    with pytest.raises(FieldError):
        Person.objects.filter(pk=a.pk).update(phone=F("name"))


def test_staff_phone_and_complaint_reporter_are_sealed(tree):
    from safetynet.core.roles import Role
    from safetynet.core.testing import make_user

    # given
    user = make_user(Role.STREET_OFFICER, tree.east_street)
    user.phone = "13755556666"
    user.save()
    # then
    assert "13755556666" not in _stored("accounts_user", "phone", user.pk)
    assert type(user).objects.get(pk=user.pk).phone == "13755556666"
    assert crypto.is_sealed(_stored("accounts_user", "phone", user.pk))


def test_rotation_reseals_every_value_under_the_new_key_and_keeps_lookups(tree):
    # given
    person = make_person(tree.east_community)
    old = crypto.sealed_key_id(_stored("registry_person", "id_number", person.pk))
    # when
    was, new = crypto.data_ring_rotate()
    changed = reseal_all()
    # then
    assert was == old != new
    assert changed["registry.Person.id_number"] >= 1
    assert crypto.sealed_key_id(_stored("registry_person", "id_number", person.pk)) == new
    assert Person.objects.get(id_number=person.id_number).pk == person.pk
    assert json.loads(settings_file_text())["active"] == new


def settings_file_text() -> str:
    from django.conf import settings

    return settings.SAFETYNET_DATA_KEY_FILE.read_text()


def test_keys_rotate_command_reseals_and_is_audited(tree):
    import io

    from django.core.management import call_command

    from safetynet.audit.models import AuditEvent

    # given
    person = make_person(tree.east_community)
    before = crypto.sealed_key_id(_stored("registry_person", "phone", person.pk))
    # when
    out = io.StringIO()
    call_command("keys", "rotate", stdout=out)
    # then
    event = AuditEvent.objects.filter(action="keys.data_rotate").get()
    assert event.data["old_key_id"] == before
    assert crypto.sealed_key_id(_stored("registry_person", "phone", person.pk)) == event.data["new_key_id"]
    assert Person.objects.get(phone=person.phone) == person
    assert event.data["new_key_id"] in out.getvalue()


def test_a_ring_from_a_secret_is_read_once_and_a_new_secret_is_read_anew(settings):
    # given the data keys from a secret (a secret store's environment variable)
    first, second = "a" * 64, "b" * 64
    settings.SAFETYNET_DATA_KEYS = json.dumps({"active": "s1", "keys": {"s1": first}})
    # when every sealed field asks for the ring
    ring = crypto.data_ring()
    # then it is the same ring each time, and it seals and opens
    assert crypto.data_ring() is ring and ring.keys["s1"] == bytes.fromhex(first)
    assert crypto.open_sealed(crypto.seal("张三", purpose="t"), purpose="t") == "张三"
    # when the secret changes (a rotation in the secret store), the new ring is the one read
    settings.SAFETYNET_DATA_KEYS = json.dumps({"active": "s2", "keys": {"s1": first, "s2": second}})
    assert crypto.data_ring().active == "s2"
