import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from safetynet.monitoring import alkire_foster

# Four people, four equally weighted indicators (the shape of Alkire & Foster's worked example).
G0 = [
    [0, 0, 0, 0],
    [1, 1, 0, 1],
    [1, 1, 1, 1],
    [0, 1, 0, 0],
]
EQUAL = [0.25] * 4


def test_hand_worked_example_with_k_one_half():
    # scores: 0, 0.75, 1.0, 0.25 → poor at k=0.5: persons 2 and 3
    r = alkire_foster(G0, EQUAL, 0.5)
    assert r.scores.tolist() == [0.0, 0.75, 1.0, 0.25]
    assert r.poor.tolist() == [False, True, True, False]
    assert r.H == pytest.approx(0.5)
    assert r.A == pytest.approx(0.875)
    assert r.M0 == pytest.approx(0.4375)
    # censored headcounts: the poor deprived in each indicator, over all 4 people
    assert r.censored_headcount.tolist() == pytest.approx([0.5, 0.5, 0.25, 0.5])
    # the second indicator: uncensored 3/4 (person 4 is deprived but not poor), censored 2/4
    assert r.uncensored_headcount[1] == pytest.approx(0.75)
    assert r.contribution.tolist() == pytest.approx([2 / 7, 2 / 7, 1 / 7, 2 / 7])


def test_union_and_intersection_cut_offs():
    union = alkire_foster(G0, EQUAL, 0.25)
    assert union.H == pytest.approx(0.75)
    assert union.M0 == pytest.approx((0.75 + 1.0 + 0.25) / 4)
    intersection = alkire_foster(G0, EQUAL, 1.0)
    assert intersection.H == pytest.approx(0.25)
    assert intersection.A == pytest.approx(1.0)


def test_unequal_weights_and_unit_weights():
    w = [0.4, 0.2, 0.2, 0.2]
    # scores: 0, 0.8, 1.0, 0.2; households of sizes 1, 2, 3, 4 → n = 10
    r = alkire_foster(G0, w, 0.3, unit_weights=[1, 2, 3, 4])
    assert r.q == 5
    assert r.H == pytest.approx(0.5)
    assert r.A == pytest.approx((0.8 * 2 + 1.0 * 3) / 5)
    assert r.M0 == pytest.approx(r.H * r.A)


@pytest.mark.parametrize(
    ("g0", "w", "k"),
    [
        ([[0, 2]], [0.5, 0.5], 0.5),
        ([[0, 1]], [0.6, 0.6], 0.5),
        ([[0, 1]], [0.5, 0.5], 0),
        ([[0, 1]], [1.0], 0.5),
    ],
)
def test_bad_input_is_refused(g0, w, k):
    with pytest.raises(ValueError):
        alkire_foster(g0, w, k)


@given(
    g0=hnp.arrays(np.int8, st.tuples(st.integers(1, 30), st.integers(1, 8)), elements=st.integers(0, 1)),
    k=st.floats(0.05, 1.0),
)
def test_identities_hold_for_any_matrix(g0, k):
    w = np.full(g0.shape[1], 1 / g0.shape[1])
    r = alkire_foster(g0, w, k)
    assert r.M0 == pytest.approx(r.H * r.A)
    assert r.M0 <= r.H + 1e-12
    assert (r.censored_headcount <= r.uncensored_headcount + 1e-12).all()
    if r.M0 > 0:
        assert r.contribution.sum() == pytest.approx(1.0)
