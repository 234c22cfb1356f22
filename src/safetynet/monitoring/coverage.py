"""应保尽保: who the rules say is owed 低保 but receives nothing, and who receives it but no
longer qualifies on the data.

Both lists come from the monitoring run itself: the rules decided every household on the same
verified facts the indicators use (``MonitoringResult.decisions``), and whether a household
receives anything is read from those facts too (``benefits`` → ``transfers``), so the lists,
the alerts and a verification report of the same date agree.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from safetynet.monitoring.compute import MonitoringResult


def coverage_lists(result: MonitoringResult) -> tuple[pa.Table, pa.Table]:
    """(likely eligible but uncovered, recipients who left eligibility) for the monitored households."""
    if not len(result.household_ids):
        return _table(result, np.zeros(0, bool), ""), _table(result, np.zeros(0, bool), "")
    eligible = result.decisions["dibao_eligible"].astype(bool)
    gradual = result.decisions["dibao_gradual_exit"].astype(bool)
    m = result.measures
    receives_any = m["transfers_members"] > 0
    receives_cash = (m["dibao_members"] > 0) | (m["tekun_members"] > 0)
    return (_table(result, eligible & ~receives_any, "dibao_eligible_not_receiving"),
            _table(result, receives_cash & ~eligible & ~gradual, "receiving_not_eligible"))


def _table(result: MonitoringResult, mask: np.ndarray, reason: str) -> pa.Table:
    idx = np.flatnonzero(mask)
    return pa.table({
        "household_id": pa.array(result.household_ids[idx], pa.int64()),
        "region_code": pa.array(result.region_codes[idx].tolist(), pa.string()),
        "income_ratio": pa.array(np.round(result.measures["income_ratio"][idx], 4) if len(idx) else [], pa.float64()),
        "reason": pa.array([reason] * len(idx), pa.string()),
    })
