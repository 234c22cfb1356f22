"""A small city with a promoted model, for the tests of production dispatch."""

import datetime as dt
import hashlib

import joblib
import numpy as np
import pytest

from safetynet.core.testing import make_household, make_user
from safetynet.monitoring import services
from safetynet.monitoring.model.features import feature_names
from safetynet.monitoring.model.training import train
from safetynet.monitoring.models import RiskModel
from safetynet.registry.models import Membership
from safetynet.sources.services import source_ingest

WAGES = "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on"


def build_city(tree, settings, tmp_path, *, loners: int = 0) -> dict:
    """Two families with no income (the rules alert them) and five of three members whose head earns
    wages (no rule alerts them); ``loners`` single wage earners (no rule alerts them either); a
    promoted model that finds need in households of three or more (and none in the rest)."""
    settings.LAKE_DIR = tmp_path / "lake"
    poor = [make_household(tree.east_community, members=1) for _ in range(2)]
    earning = [make_household(tree.east_community, members=3) for _ in range(5)]
    alone = [make_household(tree.east_community, members=1) for _ in range(loners)]
    heads = [Membership.objects.get(household=h, relationship="head").person for h in earning + alone]
    path = tmp_path / "wages.csv"
    path.write_text(WAGES + "\n" + "\n".join(f"{p.id_number},{p.name},91990100MA0000001X,示范厂,2026-09,9000.00,0,"
                                              "2026-10-01" for p in heads) + "\n", encoding="utf-8")
    source_ingest(source_name="tax_wages", path=path, as_of=dt.date(2026, 10, 1))
    names = feature_names()
    rng = np.random.default_rng(0)
    x = rng.random((600, len(names))).astype(np.float32)
    x[:, names.index("members")] = rng.integers(1, 5, 600)
    model = train(x, (x[:, names.index("members")] >= 3).astype(np.int8), features=names)
    artefact = settings.LAKE_DIR / "derived" / "monitoring" / "models" / "v1.joblib"
    artefact.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, artefact)
    RiskModel.objects.create(version=1, outcomes=600, threshold=model.threshold, metrics=model.metrics,
                             features=names, artefact="derived/monitoring/models/v1.joblib",
                             sha256=hashlib.sha256(artefact.read_bytes()).hexdigest(), promoted=True)
    services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=2, actor=make_user("admin", tree.city))
    return {"poor": poor, "earning": earning, "alone": alone,
            "worker": make_user("community_worker", tree.east_community)}


@pytest.fixture
def city(tree, settings, tmp_path):
    return build_city(tree, settings, tmp_path)
