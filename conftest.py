import pytest

from safetynet.core import testing

# The Playwright fixtures (browser, new_page, browser_login) are registered once for the whole
# suite: one session-scoped browser, whichever app's tests use it.
pytest_plugins = ["safetynet.core.testing_browser"]


@pytest.fixture
def tree(db):
    return testing.make_region_tree()


@pytest.fixture
def lake(settings, tmp_path):
    """A fresh lake folder for the test (``settings.LAKE_DIR``)."""
    settings.LAKE_DIR = tmp_path / "lake"
    return settings.LAKE_DIR


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(settings, tmp_path_factory):
    """Each test's audit checkpoints in a folder of its own: the database is rolled back between
    tests, so a checkpoint left by one test would not match the next test's chain."""
    settings.SAFETYNET_AUDIT_DIR = tmp_path_factory.mktemp("audit")
