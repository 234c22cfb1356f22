import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safetynet.registry.errors import InvalidIdNumber
from safetynet.registry.idnumber import check_character, make_resident_id, parse_resident_id


def test_known_valid_number_parses_birth_date_and_sex():
    # given a number from GB 11643-1999's worked example
    # when / then
    rid = parse_resident_id("11010519491231002X")
    assert rid.birth_date == dt.date(1949, 12, 31)
    assert rid.sex == "F"
    assert rid.address_code == "110105"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1101051949123100", "id.length"),
        ("11010519491231002Y", "id.format"),
        ("110105194913310021", "id.birth_date"),
        ("110105194902300021", "id.birth_date"),
        ("110105194912310021", "id.checksum"),
        ("110105209912310021", "id.birth_date"),
    ],
)
def test_bad_numbers_are_refused_with_a_specific_code(value, code):
    with pytest.raises(InvalidIdNumber) as err:
        parse_resident_id(value, today=dt.date(2026, 11, 23))
    assert err.value.code == code


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    seq=st.integers(0, 499),
    sex=st.sampled_from(["M", "F"]),
)
def test_made_numbers_round_trip_and_any_single_digit_change_is_caught(birth, seq, sex):
    number = make_resident_id("440305", birth, seq, sex)
    rid = parse_resident_id(number, today=dt.date(2026, 1, 1))
    assert (rid.birth_date, rid.sex) == (birth, sex)
    # MOD 11-2 catches every single-digit substitution in the first 17 positions.
    pos = seq % 17
    wrong = number[:pos] + str((int(number[pos]) + 1) % 10) + number[pos + 1 :]
    assert check_character(wrong[:17]) != wrong[17]
