"""Recall and precision per anomaly kind against the demo city's ground truth.

The truth is the demo's record of what it planted (``demo_truth/planted.parquet``, and the
payment plantings in ``demo_truth/planted_payments.parquet``). A finding matches a planted
anomaly of the corresponding kind on the person's ID number (the account number for shared
accounts). The scan's rules are the law's; nothing here feeds back into them.
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from safetynet.core.crypto import blind_index
from safetynet.core.paths import demo_truth_dir
from safetynet.supervision.models import Kind

#: The demo's planted kinds and the finding kind that should catch each.
TRUTH_KINDS = {
    "unreported_death": Kind.PAID_DECEASED,
    "imprisoned_recipient": Kind.PAID_IMPRISONED,
    "public_payroll_recipient": Kind.PAID_PUBLIC_PAYROLL,
    "duplicate_benefit": Kind.DUPLICATE_BENEFIT,
    "exclusive_programmes": Kind.EXCLUSIVE_PROGRAMMES,
    "staff_relative": Kind.STAFF_RELATIVE,
    "shared_account": Kind.SHARED_ACCOUNT,
    "payment_after_death": Kind.PAID_DECEASED,
}
FILES = ("planted.parquet", "planted_payments.parquet")


def truth_keys() -> set[tuple[str, str]] | None:
    folder = demo_truth_dir()
    paths = [folder / name for name in FILES if (folder / name).exists()]
    if not paths:
        return None
    keys = set()
    for path in paths:
        for row in pq.read_table(path, columns=["kind", "id_number", "detail"]).to_pylist():
            kind = TRUTH_KINDS.get(row["kind"])
            detail = json.loads(row["detail"] or "{}")
            if kind is None or (row["kind"] == "unreported_death" and not detail.get("receiving")):
                # A death nobody reported in a household that receives nothing was paid nothing.
                continue
            # Findings name persons and accounts by their blind index (the lake holds no clear ID).
            subject = (blind_index(detail.get("account_number") or "", "account") if kind == Kind.SHARED_ACCOUNT
                       else blind_index(row["id_number"] or "", "id"))
            keys.add((str(kind), subject))
    return keys


def evaluate(found: set[tuple[str, str]]) -> dict:
    truth = truth_keys()
    if truth is None:
        return {"available": False, "reason": "no ground truth beside the lake (demo_truth/)"}
    out = {"available": True, "kinds": {}}
    for kind in sorted({str(k) for k in TRUTH_KINDS.values()}):
        t = {s for k, s in truth if k == kind}
        f = {s for k, s in found if k == kind}
        hit = len(t & f)
        out["kinds"][kind] = {
            "planted": len(t), "found": len(f), "matched": hit,
            "recall": round(hit / len(t), 4) if t else None,
            "precision": round(hit / len(f), 4) if f else None,
        }
    return out
