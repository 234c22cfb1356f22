"""The audit chain's HMAC keys, kept outside the database (审计密钥).

A key ring is a small JSON document ``{"active": "<key id>", "keys": {"<key id>": "<hex>"}}``.
It comes from the secret named by ``settings.SAFETYNET_AUDIT_KEYS`` (an environment variable
holding the JSON, for a secret store) or else from the file ``settings.SAFETYNET_AUDIT_KEY_FILE``
(``$SAFETYNET_HOME/keys/audit.json`` by default, created with mode 0600 on first use). Old keys
stay in the ring after a rotation so entries signed with them still verify; each entry records
the id of the key that signed it.

Someone who can write to the database but cannot read this file cannot forge an entry: the hash
of every entry is an HMAC-SHA256 under a key the database never sees.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from safetynet.audit.errors import AuditKeyError
from safetynet.core import keyring as rings


@dataclass(frozen=True)
class KeyRing(rings.KeyRing):
    def sign(self, key_id: str, message: bytes) -> str:
        key = self.keys[key_id]
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def checkpoint_sign(self, key_id: str, message: bytes) -> str:
        # A key derived for checkpoints, so a checkpoint can never pass for a chain entry.
        derived = hmac.new(self.keys[key_id], b"safetynet-audit-checkpoint", hashlib.sha256).digest()
        return hmac.new(derived, message, hashlib.sha256).hexdigest()


def _key_file() -> Path:
    return Path(settings.SAFETYNET_AUDIT_KEY_FILE)


def keyring() -> KeyRing:
    """The ring in force; a key file is created on first use when no secret is configured."""
    ring = rings.ring_load(secret=getattr(settings, "SAFETYNET_AUDIT_KEYS", None), secret_name="SAFETYNET_AUDIT_KEYS",
                           path=_key_file(), error=AuditKeyError)
    return KeyRing(active=ring.active, keys=ring.keys)


def keyring_rotate() -> tuple[str, str]:
    """Add a fresh key to the file ring and make it active; returns (old id, new id)."""
    if getattr(settings, "SAFETYNET_AUDIT_KEYS", None):
        raise AuditKeyError("审计密钥来自密钥服务（SAFETYNET_AUDIT_KEYS），请在密钥服务中轮换")
    ring = keyring()
    new = rings.ring_rotate(current=ring, path=_key_file())
    return ring.active, new.active


def keyring_forget() -> None:
    """Drop the cached ring (tests point the settings at another file)."""
    rings.ring_forget()
