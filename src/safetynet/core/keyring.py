"""Key rings kept outside the database (密钥环), shared by the audit chain and field encryption.

A ring is a small JSON document ``{"active": "<key id>", "keys": {"<key id>": "<hex>"}}``. It
comes from a secret (an environment variable holding the JSON, for a secret store) or else
from a file under ``SAFETYNET_HOME/keys/`` created with mode 0600 on first use. Old keys stay in
the ring after a rotation so what they signed or sealed still opens; each value records the id
of its key.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from safetynet.core.errors import SafetyNetError


class KeyRingError(SafetyNetError):
    """A ring outside the database is missing or unreadable: nothing may be signed or sealed."""

    code = "keys.invalid"
    status = 503


@dataclass(frozen=True)
class KeyRing:
    active: str
    keys: dict[str, bytes]

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


_cache: dict[str, KeyRing] = {}


def ring_parse(raw: str, origin: str, error: type[SafetyNetError] = KeyRingError) -> KeyRing:
    try:
        doc = json.loads(raw)
        keys = {str(k): bytes.fromhex(v) for k, v in doc["keys"].items()}
        active = str(doc["active"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise error(f"密钥无法读取（{origin}）：{exc}") from None
    if active not in keys or any(len(k) < 32 for k in keys.values()):
        raise error(f"密钥无效（{origin}）：当前密钥缺失或短于 256 位")
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


def ring_load(*, secret: str | None, secret_name: str, path: Path,
              error: type[SafetyNetError] = KeyRingError) -> KeyRing:
    """The ring in force: from ``secret`` when set, else from ``path`` (created on first use)."""
    if secret:
        # Parsed once per secret (every sealed field asks for the ring), not once per field.
        cached = _cache.get(f"secret:{secret}")
        if cached is None:
            cached = _cache[f"secret:{secret}"] = ring_parse(secret, secret_name, error)
        return cached
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
    ring = ring_parse(path.read_text(), str(path), error)
    _cache[str(path)] = ring
    return ring


def ring_rotate(*, current: KeyRing, path: Path) -> KeyRing:
    """Add a fresh key to the file ring at ``path`` and make it active."""
    key_id, key = _new_key()
    new = KeyRing(active=key_id, keys={**current.keys, key_id: key})
    _write_file(path, new)
    _cache[str(path)] = new
    return new


def ring_forget() -> None:
    """Drop the cached rings (tests point the settings at other files)."""
    _cache.clear()
