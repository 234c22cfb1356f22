"""The risk models as stored: artefacts under the lake, rows in ``RiskModel``; and the training set.

A model's artefact is a joblib file under ``LAKE_DIR/derived/monitoring/models/`` whose SHA-256 is
kept on its row and checked before it is loaded (a file changed on disk is refused, not run).

The training set is every visit outcome that says whether the household needs help (a household
not reached says nothing and is left out), joined to the features its alert's run computed for it
(``derived/monitoring/run=<id>/features.parquet``): the model learns what the data showed before
the visit, never what the visit found. Each outcome weighs the inverse of the probability with
which dispatch chose its visit (``Alert.inclusion``: 1 for a ranked visit, less for a drawn one;
an alert dispatched before it was kept counts as ranked), as in the evaluation protocol.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import joblib
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core.permissions import Action, require
from safetynet.monitoring.errors import ModelNotFound, NotEnoughOutcomes
from safetynet.monitoring.model.features import feature_names
from safetynet.monitoring.model.training import TrainedModel, groups_of, train
from safetynet.monitoring.models import RiskModel, VisitFinding, VisitOutcome

FEATURES_FILE = "features.parquet"


def run_dir(run_id: int) -> Path:
    return Path(settings.LAKE_DIR) / "derived" / "monitoring" / f"run={run_id}"


def features_write(*, run_id: int, household_ids: np.ndarray, x: np.ndarray, districts: np.ndarray) -> Path:
    names = feature_names()
    table = pa.table({"household_id": pa.array(household_ids, pa.int64()),
                      "district": pa.array(districts.tolist(), pa.string()),
                      **{n: pa.array(x[:, j]) for j, n in enumerate(names)}})
    path = run_dir(run_id) / FEATURES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def training_set() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], dict, np.ndarray]:
    """(x, y, groups, period, weights) from the recorded visit outcomes (see module doc)."""
    rows = list(VisitOutcome.objects.filter(finding__in=[VisitFinding.NEEDS_HELP, VisitFinding.NO_NEED],
                                            alert__run__isnull=False)
                .values_list("alert__run_id", "household_id", "finding", "visited_on", "alert__inclusion")
                .order_by("id"))
    names = feature_names()
    xs, ys, districts, dates, weights = [], [], [], [], []
    # one example per household and run: a household's alerts that rode along on one visit are
    # closed with that visit's outcome, the latest recorded kept
    by_run: dict[int, dict[int, tuple]] = {}
    for run_id, hid, finding, on, inclusion in rows:
        by_run.setdefault(run_id, {})[hid] = (hid, finding, on, inclusion)
    for run_id, by_household in by_run.items():
        items = by_household.values()
        path = run_dir(run_id) / FEATURES_FILE
        if not path.exists():
            continue
        t = pq.read_table(path)
        if t.schema.names[2:] != names:
            continue  # a run with another feature list: its rows cannot train this model
        index = {h: i for i, h in enumerate(t.column("household_id").to_pylist())}
        matrix = np.column_stack([t.column(n).to_numpy() for n in names])
        district = t.column("district").to_pylist()
        for hid, finding, on, inclusion in items:
            i = index.get(hid)
            if i is None:
                continue
            xs.append(matrix[i])
            ys.append(1 if finding == VisitFinding.NEEDS_HELP else 0)
            districts.append(district[i])
            dates.append(on)
            weights.append(1.0 / inclusion if inclusion else 1.0)
    if not xs:
        raise NotEnoughOutcomes(_("还没有可用于训练的走访结论"), positives=0, negatives=0)
    x = np.vstack(xs).astype(np.float32)
    return x, np.array(ys, np.int8), feature_groups(x, np.array(districts, dtype=object)), \
        {"start": min(dates), "end": max(dates)}, np.array(weights)


def feature_groups(x: np.ndarray, districts: np.ndarray) -> dict[str, np.ndarray]:
    """The fairness groups (and threshold cells) of feature rows, read from their columns."""
    col = {n: j for j, n in enumerate(feature_names())}
    return groups_of(elderly=x[:, col["elderly_members"]], disabled=x[:, col["disabled_members"]],
                     serious=x[:, col["serious_illness_members"]], rural=x[:, col["rural"]], district=districts)


@transaction.atomic
def risk_model_train(*, actor=None, promote: bool = True, system: bool = False) -> RiskModel:
    """Train on every outcome so far, store the model, and promote it when it passes the fairness
    check (``promote``). ``system``: the scheduled job (no user)."""
    if not system:
        require(actor, Action.RISK_MODEL_TRAIN)
    x, y, groups, period, weights = training_set()
    trained = train(x, y, features=feature_names(), groups=groups, weights=weights)
    version = (RiskModel.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    folder = Path(settings.LAKE_DIR) / "derived" / "monitoring" / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"v{version}.joblib"
    joblib.dump(trained, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    promoted = promote and trained.promotable and len(y) >= settings.MONITORING_MIN_OUTCOMES
    model = RiskModel.objects.create(
        version=version, period_start=period["start"], period_end=period["end"], outcomes=len(y),
        threshold=trained.threshold, metrics=trained.metrics, fairness=trained.fairness, features=trained.features,
        artefact=str(path.relative_to(settings.LAKE_DIR)), sha256=digest, promoted=promoted,
        promoted_at=timezone.now() if promoted else None)
    if promoted:
        RiskModel.objects.exclude(pk=model.pk).filter(promoted=True).update(promoted=False)
    audit_record(actor=actor, action="monitoring.model_train", target=model,
                 data={"version": version, "outcomes": len(y), "promoted": promoted,
                       "failing_groups": trained.fairness["failing"], "auc": trained.metrics["auc"]})
    return model


@cache
def _load(path: str, sha256: str) -> TrainedModel:
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelNotFound(_("模型文件与登记的校验值不符，拒绝加载：%(p)s") % {"p": path}, path=path)
    return joblib.load(path)


def risk_model_promoted() -> tuple[RiskModel, TrainedModel] | None:
    row = RiskModel.objects.filter(promoted=True).order_by("-version").first()
    if row is None:
        return None
    trained = _load(str(Path(settings.LAKE_DIR) / row.artefact), row.sha256)
    if list(trained.features) != feature_names():
        return None  # a model of other features cannot score today's matrix: the prior ranks until the next training
    return row, trained
