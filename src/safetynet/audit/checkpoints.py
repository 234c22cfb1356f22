"""Signed checkpoints of the chain head, written once to storage outside the database (检查点).

Each checkpoint is its own file, ``<seq>-<time>.json``, created with ``O_EXCL`` and left
read-only: a checkpoint is never rewritten, only followed by a newer one. It names the entry
number and HMAC of the chain head at that moment and is itself signed with a key derived from the
audit key, so someone with the database alone can neither forge nor move one. ``audit verify``
checks the chain against every checkpoint: entries deleted from the end, an entry recomputed or
the entries renumbered no longer match what the checkpoint saw.

The directory is ``settings.SAFETYNET_AUDIT_DIR`` (``$SAFETYNET_HOME/audit``); in production
point it at storage the database's administrators cannot write (an object store with object
lock, a WORM mount, or a volume synced off the host).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from safetynet.audit.keys import keyring


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    key_id: str
    signature: str
    path: Path

    def body(self) -> bytes:
        doc = {"seq": self.seq, "hash": self.hash, "at": self.at, "key_id": self.key_id}
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class BadCheckpoint:
    path: Path
    reason: str


def checkpoint_dir() -> Path:
    return Path(settings.SAFETYNET_AUDIT_DIR) / "checkpoints"


def checkpoint_write(*, seq: int, hash: str) -> Checkpoint:
    """Write one checkpoint file for the head ``(seq, hash)``; never overwrites."""
    ring = keyring()
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    draft = Checkpoint(seq=seq, hash=hash, at=at, key_id=ring.active, signature="", path=Path())
    signature = ring.checkpoint_sign(ring.active, draft.body())
    folder = checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = at.replace(":", "").replace("-", "").replace("+0000", "Z")
    path = folder / f"{seq:012d}-{stamp}.json"
    doc = {"seq": seq, "hash": hash, "at": at, "key_id": ring.active, "signature": signature}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    return Checkpoint(seq=seq, hash=hash, at=at, key_id=ring.active, signature=signature, path=path)


def checkpoints_read() -> tuple[list[Checkpoint], list[BadCheckpoint]]:
    """Every checkpoint in order of entry number, and those whose signature does not hold."""
    good: list[Checkpoint] = []
    bad: list[BadCheckpoint] = []
    folder = checkpoint_dir()
    if not folder.is_dir():
        return good, bad
    ring = keyring()
    for path in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(path.read_text())
            cp = Checkpoint(
                seq=int(doc["seq"]),
                hash=str(doc["hash"]),
                at=str(doc["at"]),
                key_id=str(doc["key_id"]),
                signature=str(doc["signature"]),
                path=path,
            )
        except (ValueError, KeyError, TypeError) as exc:
            bad.append(BadCheckpoint(path, f"unreadable: {exc}"))
            continue
        if ring.key(cp.key_id) is None:
            bad.append(BadCheckpoint(path, f"signed with unknown key {cp.key_id!r}"))
        elif ring.checkpoint_sign(cp.key_id, cp.body()) != cp.signature:
            bad.append(BadCheckpoint(path, "signature does not match"))
        else:
            good.append(cp)
    good.sort(key=lambda c: (c.seq, c.at))
    return good, bad
