import pytest
from django.utils import translation
from hypothesis import HealthCheck, settings

from safetynet.core import testing

# The suite's two passes share a 2-core machine: how long an example takes says nothing about
# the code, so Hypothesis's timing checks (deadline, too_slow) are off; its examples are unchanged.
settings.register_profile("safetynet", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("safetynet")

# The Playwright fixtures (browser, new_page, browser_login) are registered once for the whole
# suite: one session-scoped browser, whichever app's tests use it.
pytest_plugins = ["safetynet.core.testing_browser"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 is right for production and costs about a quarter of a second of CPU a hash; the
    tests make hundreds of accounts (a demo city alone makes eleven), so they hash with MD5.
    A test of argon2 itself asks for the production hashers (``production_passwords``)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """The locale middleware activates the visitor's language for the thread and never puts it
    back: after a test that reads a page in English, the next test would read English too."""
    yield
    translation.deactivate()


@pytest.fixture
def production_passwords(settings):
    """The production password hashers (argon2), for a test of how passwords are stored."""
    from safetynet import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


@pytest.fixture
def tree(db):
    return testing.make_region_tree()


@pytest.fixture
def lake(settings, tmp_path):
    """A fresh lake folder for the test (``settings.LAKE_DIR``)."""
    settings.LAKE_DIR = tmp_path / "lake"
    yield settings.LAKE_DIR
    # An index built in the background for this lake ends before the next test's lake is set.
    from safetynet.engine.index import index_builds_join

    index_builds_join()


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(settings, tmp_path_factory):
    """Each test's audit checkpoints in a folder of its own: the database is rolled back between
    tests, so a checkpoint left by one test would not match the next test's chain."""
    settings.SAFETYNET_AUDIT_DIR = tmp_path_factory.mktemp("audit")


def pytest_collection_modifyitems(config, items):
    """Tests that run the Spark engine (their id names it, or they are marked) carry the ``spark`` marker. They compare
    the engines on the same Arrow inputs, whatever database the registry lives in, so the test
    command runs them once, in the SQLite pass: ``SAFETYNET_TEST_SPARK=0`` leaves them out."""
    import os

    skip = os.environ.get("SAFETYNET_TEST_SPARK", "1") == "0"
    kept, dropped = [], []
    for item in items:
        if "spark" in item.nodeid.lower() or item.get_closest_marker("spark"):
            item.add_marker(pytest.mark.spark)
            if skip:
                dropped.append(item)
                continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
