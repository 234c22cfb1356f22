"""The population table for simulation and bulk decisions, built from the registry.

Members are those in their household on the 1st of the month (:func:`members_at`); their
income and assets are the verified facts in force at the decision date (``verify()`` over the
lake's batches, linked by ID number), mapped onto the rules' facts exactly as a single
household's verification report is (:func:`population_from_verification`). A source with no
batch in force counts as zero and is named in the notes.
"""

from __future__ import annotations

import datetime as dt

from safetynet.rules.facts import Population


def population_from_registry(on: dt.date) -> tuple[Population, list[str]]:
    """Every household with at least one member on the 1st of ``on``'s month, and the sources
    that had no batch in force at ``on``."""
    from safetynet.engine.lake import batches_in_force
    from safetynet.registry.tables import members_at
    from safetynet.verification.compute import PERSONS_SCHEMA, VerificationInput, verify
    from safetynet.verification.rules_bridge import population_from_verification

    members = members_at(on=on.replace(day=1))
    missing = [source for source, batches in batches_in_force(on=on).items() if not batches]
    verified = verify(VerificationInput(persons=members.select(PERSONS_SCHEMA.names), on=on))
    return population_from_verification(members=members, verified=verified), missing
