"""Password policy: a password found in a breach is refused (泄露密码检查).

The bundled list (``data/breached-passwords.sha1``) holds SHA-1 digests of lower-cased passwords
seen in public breach corpora, the form breach services publish; ``SAFETYNET_BREACHED_PASSWORDS``
may name a larger file of the same form (a downloaded corpus) on a server that has one.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

BUNDLED = Path(__file__).resolve().parent / "data" / "breached-passwords.sha1"


@cache
def _digests(path: str) -> frozenset[str]:
    lines = Path(path).read_text().splitlines()
    return frozenset(line.strip().upper() for line in lines if line.strip() and not line.startswith("#"))


def is_breached(password: str) -> bool:
    path = getattr(settings, "SAFETYNET_BREACHED_PASSWORDS", None) or BUNDLED
    digest = hashlib.sha1(password.lower().encode()).hexdigest().upper()
    return digest in _digests(str(path)) or digest in _digests(str(BUNDLED))


class BreachedPasswordValidator:
    def validate(self, password: str, user=None) -> None:
        if is_breached(password):
            raise ValidationError(_("该密码出现在已泄露的密码库中，请换一个"), code="password_breached")

    def get_help_text(self) -> str:
        return _("不能使用已在数据泄露中出现过的密码。")
