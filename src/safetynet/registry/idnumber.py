"""Resident identity numbers (居民身份证号码), GB 11643-1999.

18 characters: 6-digit address code, 8-digit birth date, 3-digit sequence (odd for men, even
for women) and a check character computed by ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from safetynet.registry.errors import InvalidIdNumber

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class ResidentId:
    number: str
    address_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def parse_resident_id(value: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate an ID number and read its birth date and sex, or raise :class:`InvalidIdNumber`."""
    number = (value or "").strip().upper()
    if len(number) != 18:
        raise InvalidIdNumber(
            _("身份证号码应为18位，实际为%(n)d位") % {"n": len(number)}, code="id.length", value=value
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber(
            _("身份证号码前17位须为数字，末位为数字或X"), code="id.format", value=value
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(
            _("身份证号码中的出生日期 %(d)s 不存在") % {"d": number[6:14]}, code="id.birth_date", value=value
        ) from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1880:
        raise InvalidIdNumber(
            _("身份证号码中的出生日期 %(d)s 不可能") % {"d": birth.isoformat()}, code="id.birth_date", value=value
        )
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber(
            _("身份证号码校验位错误：应为 %(e)s，实际为 %(a)s") % {"e": expected, "a": number[17]},
            code="id.checksum",
            value=value,
        )
    return ResidentId(
        number=number,
        address_code=number[:6],
        birth_date=birth,
        sex="M" if int(number[16]) % 2 == 1 else "F",
    )


def make_resident_id(address_code: str, birth_date: dt.date, sequence: int, sex: str) -> str:
    """Build a valid number (the demo generator and tests use this): sequence 0..499."""
    seq = sequence * 2 + (1 if sex == "M" else 0)
    if not 0 <= seq <= 999:
        raise ValueError("sequence out of range")
    first17 = f"{address_code[:6]}{birth_date:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)
