"""The two entities of the rules: a person, and the household (共同生活家庭) they live in."""

from openfisca_core.entities import build_entity

Person = build_entity(
    key="person",
    plural="persons",
    label="家庭成员",
    doc="A resident assessed as a member of a household.",
    is_person=True,
)

#: Family roles, in the order ``ROLE_KEYS`` lists them; the registry's relationships map onto them.
ROLE_KEYS = ("head", "spouse", "child", "parent", "other")

Household = build_entity(
    key="household",
    plural="households",
    label="共同生活家庭",
    doc="A family that lives together and is assessed together.",
    roles=[
        {"key": "head", "label": "户主", "max": 1},
        {"key": "spouse", "label": "配偶", "max": 1},
        {"key": "child", "plural": "children", "label": "子女"},
        {"key": "parent", "plural": "parents", "label": "父母"},
        {"key": "other", "plural": "others", "label": "其他共同生活成员"},
    ],
)

#: Registry relationship code → family role key.
RELATIONSHIP_ROLE = {
    "head": "head",
    "spouse": "spouse",
    "child": "child",
    "parent": "parent",
    "grandchild": "other",
    "grandparent": "other",
    "sibling": "other",
    "other": "other",
}

entities = [Person, Household]
