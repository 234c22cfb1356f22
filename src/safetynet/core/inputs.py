"""Limits on what a request may carry (输入限制): characters that have no place in a name or a
note, and how large a body may be.

NUL and other control characters break exports, logs and the databases' text handling;
bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) make a name display as
something other than what it is (``张三\u202e...``). They are refused at the door, in every
text field of a form, a query string or a JSON body, so no service has to remember to.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from safetynet.core.errors import ValidationFailed

#: C0 controls other than tab, line feed and carriage return; DEL and the C1 controls; the
#: bidirectional embeddings, overrides and isolates.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def forbidden_character(text: str) -> str | None:
    """The first forbidden character of ``text`` as ``U+XXXX``, or ``None``."""
    match = FORBIDDEN.search(text)
    return f"U+{ord(match.group(0)):04X}" if match else None


def find_forbidden(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(field path, U+XXXX)`` for every string in a JSON-like value holding a forbidden
    character (keys included)."""
    if isinstance(value, str):
        bad = forbidden_character(value)
        if bad:
            yield path or "body", bad
    elif isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            bad = forbidden_character(key)
            if bad:
                yield f"{path}.{key}" if path else key, bad
            yield from find_forbidden(v, f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from find_forbidden(v, f"{path}[{i}]")


def clean_text(value: str, *, field: str) -> str:
    """``value`` unchanged, or a typed refusal naming the field and the character."""
    bad = forbidden_character(value or "")
    if bad:
        raise ValidationFailed(
            _("%(field)s 含有不允许的控制字符或文字方向控制符（%(char)s）") % {"field": field, "char": bad},
            code="invalid.characters",
            field=field,
            character=bad,
        )
    return value


#: How far ahead a dated record (a mandate's end, a parameter's start) may reach.
MAX_YEARS_AHEAD = 10
#: How far back a date may lie.
EARLIEST = dt.date(1949, 10, 1)


def require_date_in_range(value: dt.date | None, *, field: str, years_ahead: int = MAX_YEARS_AHEAD) -> None:
    """Refuse dates a person could not have meant (9999-12-31, year 1): a record valid forever
    never comes up for review."""
    if value is None:
        return
    latest = dt.date.today().replace(month=1, day=1) + dt.timedelta(days=366 * (years_ahead + 1))
    if not EARLIEST <= value < latest:
        raise ValidationFailed(
            _("%(field)s 超出允许范围（%(lo)s 至 %(hi)s 之间）")
            % {"field": field, "lo": EARLIEST.isoformat(), "hi": latest.isoformat()},
            code="invalid.date_range",
            field=field,
            value=value.isoformat(),
        )
