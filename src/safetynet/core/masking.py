"""Masking of personal identifiers (脱敏).

Full ID and phone numbers are shown only when a viewer states a purpose, and that view is
audited (see ``registry.selectors.person_full_record``). Everywhere else these are used.
"""

from __future__ import annotations

import re
from typing import Any


def mask_id_number(id_number: str) -> str:
    """``110101199003078515`` → ``110101********8515``: region kept, birth date hidden."""
    if not id_number:
        return ""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """``张三`` → ``张*``; ``欧阳明华`` → ``欧**华``: for public notices."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


#: A figure in a sentence: 1,234.56 / 1234 / 0.5 (Arabic digits, optional thousands commas and decimals).
_FIGURE = re.compile(r"\d[\d,，]*(?:\.\d+)?")
FIGURE_MASK = "＊＊"


def redact_figures(text: str) -> str:
    """``人均收入 812.5 元，低于标准 900 元`` → ``人均收入 ＊＊ 元，低于标准 ＊＊ 元``: the decision and its
    plain reasons, without the family's income and asset figures (数据最小化)."""
    return _FIGURE.sub(FIGURE_MASK, text or "")


def redact_data(value):
    """:func:`redact_figures` through a JSON-like structure: every figure in every string, and every
    number, is hidden."""
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return FIGURE_MASK
    return redact_figures(str(value))


#: A mainland resident ID (18 characters, the last a digit or X) standing alone in text.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
#: A mainland mobile number standing alone in text.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_KEYS = frozenset({"id_number", "idnumber", "id_no", "身份证号码", "身份证号"})
_PHONE_KEYS = frozenset({"phone", "mobile", "手机号", "电话"})


def mask_identifiers(value: Any) -> Any:
    """A copy of a JSON-like value with every ID and mobile number masked: fields named for
    them, and numbers of their shape inside any other text (a fact's cited source row, say)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = str(k).lower()
            if isinstance(v, str) and key in _ID_KEYS:
                out[k] = mask_id_number(v)
            elif isinstance(v, str) and key in _PHONE_KEYS:
                out[k] = mask_phone(v)
            else:
                out[k] = mask_identifiers(v)
        return out
    if isinstance(value, list | tuple):
        return [mask_identifiers(v) for v in value]
    if isinstance(value, str):
        value = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), value)
        return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), value)
    return value
