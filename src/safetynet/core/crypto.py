"""Personal data encrypted at rest (字段加密) and the keyed blind index (盲索引).

* :func:`seal` / :func:`open_sealed`: AES-256-GCM (``cryptography``), authenticated, a fresh
  96-bit nonce per value; the stored text is ``v1:<key id>:<base64url(nonce | ciphertext)>`` so
  each value names its key. The field's purpose (``registry.person.id_number``…) is the
  associated data: a value copied into another column does not open.
* :func:`blind_index`: HMAC-SHA256 under a separate key of the normalised value, by kind
  (``id`` or ``phone``), hex. The same value always gives the same index, so exact lookups,
  uniqueness and joins work without the clear value; the lake's person keys are this same
  index (:func:`blind_index_sql` computes it inside DuckDB, byte for byte the same).

The keys live outside the database: ``SAFETYNET_DATA_KEYS`` / ``SAFETYNET_INDEX_KEY`` (JSON key
rings from a secret store) in production, else ``$SAFETYNET_HOME/keys/data.json`` and
``keys/index.json`` created on first use. ``safetynet keys rotate`` adds an encryption key and
re-encrypts every value (:mod:`safetynet.core.fields`); the index key does not rotate (every
index and every lake key would change with it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from safetynet.core import keyring as rings

PREFIX = "v1:"


class DecryptionFailed(rings.KeyRingError):
    code = "keys.decrypt"


def data_ring() -> rings.KeyRing:
    return rings.ring_load(secret=getattr(settings, "SAFETYNET_DATA_KEYS", None), secret_name="SAFETYNET_DATA_KEYS",
                           path=Path(settings.SAFETYNET_DATA_KEY_FILE))


def index_key() -> bytes:
    ring = rings.ring_load(secret=getattr(settings, "SAFETYNET_INDEX_KEY", None), secret_name="SAFETYNET_INDEX_KEY",
                           path=Path(settings.SAFETYNET_INDEX_KEY_FILE))
    return ring.keys[ring.active]


def data_ring_rotate() -> tuple[str, str]:
    """A fresh encryption key, active from now; returns (old id, new id). Values sealed under
    the old key still open until :func:`safetynet.core.fields.reseal_all` re-encrypts them."""
    if getattr(settings, "SAFETYNET_DATA_KEYS", None):
        raise rings.KeyRingError("数据密钥来自密钥服务（SAFETYNET_DATA_KEYS），请在密钥服务中轮换")
    ring = data_ring()
    new = rings.ring_rotate(current=ring, path=Path(settings.SAFETYNET_DATA_KEY_FILE))
    return ring.active, new.active


_aead: dict[bytes, AESGCM] = {}


def _cipher(key: bytes) -> AESGCM:
    c = _aead.get(key)
    if c is None:
        c = _aead[key] = AESGCM(key)
    return c


def seal(value: str, *, purpose: str, ring: rings.KeyRing | None = None) -> str:
    """``value`` encrypted under the active data key, bound to ``purpose``."""
    return seal_bytes(value.encode(), purpose=purpose, ring=ring)


def seal_bytes(data: bytes, *, purpose: str, ring: rings.KeyRing | None = None) -> str:
    ring = ring or data_ring()
    nonce = os.urandom(12)
    ct = _cipher(ring.keys[ring.active]).encrypt(nonce, bytes(data), purpose.encode())
    return f"{PREFIX}{ring.active}:{base64.urlsafe_b64encode(nonce + ct).decode()}"


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def sealed_key_id(stored: str) -> str:
    return stored.split(":", 2)[1]


def open_sealed(stored: str, *, purpose: str, ring: rings.KeyRing | None = None) -> str:
    """The clear value of a sealed one; a tampered value or a missing key is refused."""
    return open_sealed_bytes(stored, purpose=purpose, ring=ring).decode()


def open_sealed_bytes(stored: str, *, purpose: str, ring: rings.KeyRing | None = None) -> bytes:
    try:
        _, key_id, body = stored.split(":", 2)
        raw = base64.urlsafe_b64decode(body)
    except ValueError:
        raise DecryptionFailed("加密字段无法解读", code="keys.decrypt") from None
    ring = ring or data_ring()
    key = ring.key(key_id)
    if key is None:
        raise DecryptionFailed(f"缺少数据密钥 {key_id}", code="keys.decrypt")
    try:
        return _cipher(key).decrypt(raw[:12], raw[12:], purpose.encode())
    except InvalidTag:
        raise DecryptionFailed("加密字段校验失败（被篡改或密钥不符）", code="keys.decrypt") from None


def normalise(value: str, kind: str) -> str:
    """What an index is computed over: an ID number in upper case, a phone as digits only."""
    value = value.strip()
    if kind == "phone":
        return value.replace(" ", "").replace("-", "")
    return value.upper()


def blind_index(value: str, kind: str) -> str:
    """The keyed index of ``value`` (hex HMAC-SHA256 over ``kind:value``); '' for ''."""
    v = normalise(value, kind)
    if not v:
        return ""
    return hmac.new(index_key(), f"{kind}:{v}".encode(), hashlib.sha256).hexdigest()


def blind_index_many(values, kind: str) -> list[str]:
    key = index_key()
    out = []
    for value in values:
        v = normalise(value or "", kind)
        out.append(hmac.new(key, f"{kind}:{v}".encode(), hashlib.sha256).hexdigest() if v else "")
    return out


def blind_index_sql(expr: str, kind: str = "id") -> str:
    """A DuckDB expression giving :func:`blind_index` of the VARCHAR ``expr`` (HMAC by its
    definition over DuckDB's ``sha256``), NULL for NULL, '' for blank."""
    key = index_key().ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in key).hex()
    opad = bytes(b ^ 0x5C for b in key).hex()
    norm = f"replace(replace(trim({expr}), ' ', ''), '-', '')" if kind == "phone" else f"upper(trim({expr}))"
    inner = f"sha256(unhex('{ipad}') || encode('{kind}:' || {norm}))"
    return f"(CASE WHEN {norm} = '' THEN '' ELSE sha256(unhex('{opad}') || unhex({inner})) END)"
