import pytest

from safetynet.core import testing


@pytest.fixture
def tree(db):
    return testing.make_region_tree()
