"""A batch leaves the planner's statistics describing the rows it wrote."""

from __future__ import annotations

import pytest
from django.db import connection

from safetynet.core.db import planner_statistics_refresh
from safetynet.core.testing import make_household, make_region_tree
from safetynet.registry.models import Household, Membership

pytestmark = pytest.mark.django_db


def _rows_the_planner_knows(model) -> int | None:
    """The row count the planner's statistics give for ``model``'s table; None when it has none."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if not cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
                return None
            # Each row's stat starts with the table's row count.
            row = cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table]).fetchone()
            return int(row[0].split()[0]) if row else None
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        reltuples = cursor.fetchone()[0]
        return None if reltuples < 0 else int(reltuples)


def test_refresh_gives_the_planner_the_rows_a_batch_wrote():
    tree = make_region_tree()
    for _ in range(30):
        make_household(tree.east_community, members=3)
    before = _rows_the_planner_knows(Membership)

    planner_statistics_refresh(Household, Membership)

    assert before != 90
    assert _rows_the_planner_knows(Membership) == 90
    assert _rows_the_planner_knows(Household) == 30


def test_refresh_without_models_covers_every_table():
    tree = make_region_tree()
    make_household(tree.west_community, members=2)

    planner_statistics_refresh()

    assert _rows_the_planner_knows(Membership) == 2
