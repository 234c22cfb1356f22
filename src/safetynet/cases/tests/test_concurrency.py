"""Parallel transitions on one case: exactly one wins. Needs PostgreSQL's row locks."""

import threading

import pytest
from django.db import connection, connections

from safetynet.audit.services import audit_verify
from safetynet.cases import services
from safetynet.cases.errors import IllegalTransition
from safetynet.cases.models import Case, CaseTransition, Channel, Status
from safetynet.cases.tests.conftest import head_of
from safetynet.core.testing import Role, make_household, make_region_tree, make_user

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]

N = 8


def _race(fn) -> list:
    barrier, results = threading.Barrier(N), []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait()
            out = fn(i)
        except Exception as exc:
            out = exc
        finally:
            connections.close_all()
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_transitions_on_one_case_one_wins():
    tree = make_region_tree()
    street = make_user(Role.STREET_OFFICER, tree.east_street)
    household = make_household(tree.east_community)
    case = services.case_submit(programme="dibao", channel=Channel.WINDOW, household_id=household.pk,
                                applicant_id=head_of(household).pk, actor=street).case
    # when eight officers accept the same case at once
    results = _race(lambda i: services.case_accept(case_id=case.pk, actor=street, note=f"t{i}"))
    # then one wins and the others are told the move is no longer legal
    wins = [r for r in results if isinstance(r, Case)]
    losses = [r for r in results if isinstance(r, IllegalTransition)]
    assert len(wins) == 1 and len(losses) == N - 1, results
    assert CaseTransition.objects.filter(case=case, to_status=Status.ACCEPTED).count() == 1
    assert Case.objects.get(pk=case.pk).version == 2
    assert audit_verify().ok


def test_parallel_submissions_with_one_key_create_one_case():
    tree = make_region_tree()
    street = make_user(Role.STREET_OFFICER, tree.east_street)
    household = make_household(tree.east_community)
    results = _race(lambda i: services.case_submit(
        programme="dibao", channel=Channel.WINDOW, household_id=household.pk,
        applicant_id=head_of(household).pk, actor=street, idempotency_key="same-key"))
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.case.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Case.objects.count() == 1
    assert audit_verify().ok
