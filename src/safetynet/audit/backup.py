"""Backup and restore of a whole SafetyNet home (备份与恢复): the database, the lake, the
uploaded attachments and the audit checkpoints.

A backup is a folder::

    backup.json         what is in it: when, which database, row counts per table, every file
                        with its size and SHA-256 (the manifest)
    database.sqlite3    SQLite's online backup API: a consistent copy while the platform runs
    database.pgdump     or pg_dump's custom format (one consistent snapshot) on PostgreSQL
    lake/ uploads/ audit/   files copied by manifest

The database is copied first, then the files: lake batches and attachments are written before
the rows that name them commit, so every file the copied database refers to is already there.
A checkpoint of the audit chain is taken just before, so the restored chain can be verified
against a checkpoint that is in the backup. The keys (the audit key, the field-encryption and
blind-index keys) are not copied unless asked (``--include-keys``): they belong in a secret
store, apart from the data they protect; without the data keys the sealed columns do not open.

Restoring checks every file's SHA-256 against the manifest, puts the database back, then
verifies the audit chain and compares row counts with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction

from safetynet.audit.checkpoints import checkpoint_dir
from safetynet.audit.errors import BackupError
from safetynet.audit.services import VerifyResult, audit_checkpoint, audit_verify

FORMAT = 1


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _roots() -> dict[str, Path]:
    return {
        "lake": Path(settings.LAKE_DIR),
        "uploads": Path(settings.MEDIA_ROOT),
        "audit": Path(settings.SAFETYNET_AUDIT_DIR),
    }


def table_counts() -> dict[str, int]:
    """Rows in every table of the operational database."""
    counts = {}
    with connection.cursor() as cur:
        for table in sorted(connection.introspection.table_names(cur)):
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cur.fetchone()[0]
    return counts


def _pg_env(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _sqlite_counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)
                if not t.startswith("sqlite_")}
    finally:
        con.close()


def _dump_database(dest: Path) -> tuple[str, dict[str, int]]:
    """The database file name in the backup and the row counts of exactly that snapshot."""
    db = connections["default"].settings_dict
    if connection.vendor == "sqlite":
        target = dest / "database.sqlite3"
        connection.ensure_connection()
        out = sqlite3.connect(target)
        try:
            connection.connection.backup(out)
        finally:
            out.close()
        return target.name, _sqlite_counts(target)
    if connection.vendor == "postgresql":
        target = dest / "database.pgdump"
        # Count and dump one snapshot: pg_dump joins the snapshot this transaction exports.
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            counts = table_counts()
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}", db["NAME"]],
                env=_pg_env(db),
                check=True,
                capture_output=True,
            )
        return target.name, counts
    raise BackupError(f"不支持的数据库：{connection.vendor}")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: int
    bytes: int
    counts: dict[str, int]


def _key_files() -> dict[str, Path]:
    """The key rings outside the database, by their name in a backup: the audit chain's, and the
    field-encryption and blind-index keys without which the sealed columns cannot be read."""
    return {"audit.json": Path(settings.SAFETYNET_AUDIT_KEY_FILE),
            "data.json": Path(settings.SAFETYNET_DATA_KEY_FILE),
            "index.json": Path(settings.SAFETYNET_INDEX_KEY_FILE)}


def backup_create(*, dest: Path, include_keys: bool = False) -> BackupResult:
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"备份目录非空：{dest}")
    dest.mkdir(parents=True, exist_ok=True)
    audit_checkpoint()
    database, counts = _dump_database(dest)
    files = []
    for name, root in _roots().items():
        if not root.is_dir():
            continue
        for src in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
            relative = Path(name) / src.relative_to(root)
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
            files.append({"path": str(relative), "size": target.stat().st_size, "sha256": _sha256(target)})
    if include_keys:
        for name, key_file in _key_files().items():
            if not key_file.exists():
                continue
            target = dest / "keys" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(key_file, target)
            os.chmod(target, 0o600)
            files.append({"path": f"keys/{name}", "size": target.stat().st_size, "sha256": _sha256(target)})
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "vendor": connection.vendor,
        "database": {"file": database, "sha256": _sha256(dest / database)},
        "counts": counts,
        "files": files,
    }
    (dest / "backup.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return BackupResult(dest, len(files), sum(f["size"] for f in files), counts)


@dataclass(frozen=True)
class RestoreResult:
    files: int
    counts: dict[str, int]
    count_mismatches: dict[str, tuple[int, int]]
    audit: VerifyResult

    @property
    def ok(self) -> bool:
        return not self.count_mismatches and self.audit.ok


def _read_manifest(src: Path) -> dict:
    try:
        manifest = json.loads((src / "backup.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"无法读取备份清单 {src / 'backup.json'}：{exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
    bad = [f["path"] for f in manifest["files"] if _sha256(src / f["path"]) != f["sha256"]]
    if _sha256(src / manifest["database"]["file"]) != manifest["database"]["sha256"]:
        bad.insert(0, manifest["database"]["file"])
    if bad:
        raise BackupError(f"备份文件校验失败（SHA-256 不符）：{', '.join(bad[:5])}")
    return manifest


def _restore_database(src: Path, manifest: dict) -> None:
    db = connections["default"].settings_dict
    if manifest["vendor"] != connection.vendor:
        raise BackupError(f"备份来自 {manifest['vendor']}，当前数据库是 {connection.vendor}")
    connections.close_all()
    if connection.vendor == "sqlite":
        out = sqlite3.connect(db["NAME"])
        inp = sqlite3.connect(src / manifest["database"]["file"])
        try:
            inp.backup(out)
        finally:
            inp.close()
            out.close()
        return
    subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={db['NAME']}",
         str(src / manifest["database"]["file"])],
        env=_pg_env(db),
        check=True,
        capture_output=True,
    )


def backup_restore(*, src: Path, force: bool = False) -> RestoreResult:
    """Put a backup back into the current home, then verify the audit chain and row counts."""
    src = Path(src)
    manifest = _read_manifest(src)
    roots = _roots()
    if not force:
        occupied = [str(r) for r in roots.values() if r.is_dir() and any(r.rglob("*.*"))]
        if table_counts().get("audit_auditevent"):
            occupied.insert(0, "database")
        if occupied:
            raise BackupError(f"目标目录已有数据（{', '.join(occupied)}）；确认覆盖请加 --force")
    _restore_database(src, manifest)
    restored = 0
    for entry in manifest["files"]:
        top, _, rest = entry["path"].partition("/")
        if top == "keys":
            # data.json / index.json: the field-encryption keys; anything else: the audit key.
            target = _key_files().get(rest, Path(settings.SAFETYNET_AUDIT_KEY_FILE))
            if target.exists():
                continue
        else:
            target = roots[top] / rest
        target.parent.mkdir(parents=True, exist_ok=True)
        if top == "audit" and target.parent == checkpoint_dir() and target.exists():
            continue  # checkpoints are write-once; the same file is already there
        shutil.copy2(src / entry["path"], target)
        restored += 1
    counts = table_counts()
    mismatches = {
        t: (n, counts.get(t, -1)) for t, n in manifest["counts"].items() if counts.get(t, -1) != n
    }
    return RestoreResult(restored, counts, mismatches, audit_verify())
