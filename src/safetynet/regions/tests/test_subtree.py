import pytest

from safetynet.regions.models import Region, subtree_q
from safetynet.regions.selectors import region_subtree


@pytest.mark.django_db
def test_subtree_is_exactly_the_regions_under_the_path(tree):
    # given the test tree (two counties with streets and communities)
    everything = list(Region.objects.all())
    for root in everything:
        # when the subtree is asked through the query layer's helper
        got = set(Region.objects.filter(subtree_q(root.path)).values_list("code", flat=True))
        # then it matches a plain prefix test, root included, siblings and ancestors excluded
        assert got == {r.code for r in everything if r.path.startswith(root.path)}
    assert {r.code for r in region_subtree(region=tree.east)} >= {tree.east.code, tree.east_community.code}
    assert tree.west.code not in {r.code for r in region_subtree(region=tree.east)}
