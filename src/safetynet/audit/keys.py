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
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from safetynet.audit.errors import AuditKeyError


@dataclass(frozen=True)
class KeyRing:
    active: str
    keys: dict[str, bytes]

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)

    def sign(self, key_id: str, message: bytes) -> str:
        key = self.keys[key_id]
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def checkpoint_sign(self, key_id: str, message: bytes) -> str:
        # A key derived for checkpoints, so a checkpoint can never pass for a chain entry.
        derived = hmac.new(self.keys[key_id], b"safetynet-audit-checkpoint", hashlib.sha256).digest()
        return hmac.new(derived, message, hashlib.sha256).hexdigest()


_cache: dict[str, KeyRing] = {}


def _key_file() -> Path:
    return Path(settings.SAFETYNET_AUDIT_KEY_FILE)


def _parse(raw: str, origin: str) -> KeyRing:
    try:
        doc = json.loads(raw)
        keys = {str(k): bytes.fromhex(v) for k, v in doc["keys"].items()}
        active = str(doc["active"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AuditKeyError(f"审计密钥无法读取（{origin}）：{exc}") from None
    if active not in keys or any(len(k) < 32 for k in keys.values()):
        raise AuditKeyError(f"审计密钥无效（{origin}）：当前密钥缺失或短于 256 位")
    return KeyRing(active=active, keys=keys)


def _new_key() -> tuple[str, bytes]:
    key = secrets.token_bytes(32)
    return "k" + hashlib.sha256(key).hexdigest()[:11], key


def _dump(ring: KeyRing) -> str:
    return json.dumps({"active": ring.active, "keys": {k: v.hex() for k, v in ring.keys.items()}}, indent=1)


def _write_file(path: Path, ring: KeyRing) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(_dump(ring))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def keyring() -> KeyRing:
    """The ring in force; a key file is created on first use when no secret is configured."""
    secret = getattr(settings, "SAFETYNET_AUDIT_KEYS", None)
    if secret:
        return _parse(secret, "SAFETYNET_AUDIT_KEYS")
    path = _key_file()
    cached = _cache.get(str(path))
    if cached is not None:
        return cached
    if not path.exists():
        key_id, key = _new_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two processes starting together agree on one key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(_dump(KeyRing(key_id, {key_id: key})))
                fh.flush()
                os.fsync(fh.fileno())
    ring = _parse(path.read_text(), str(path))
    _cache[str(path)] = ring
    return ring


def keyring_rotate() -> tuple[str, str]:
    """Add a fresh key to the file ring and make it active; returns (old id, new id)."""
    if getattr(settings, "SAFETYNET_AUDIT_KEYS", None):
        raise AuditKeyError("审计密钥来自密钥服务（SAFETYNET_AUDIT_KEYS），请在密钥服务中轮换")
    ring = keyring()
    key_id, key = _new_key()
    new = KeyRing(active=key_id, keys={**ring.keys, key_id: key})
    _write_file(_key_file(), new)
    _cache[str(_key_file())] = new
    return ring.active, key_id


def keyring_forget() -> None:
    """Drop the cached ring (tests point the settings at another file)."""
    _cache.clear()
