"""The base of the rules' amount variables.

OpenFisca-core stores ``value_type = float`` as float32 (``variables.config.VALUE_TYPES``): seven
significant digits, so above 262,144 yuan a fen is lost and sums over a population drift. Every
float variable of the rules is a :class:`Float64Variable`: the holder and the simulation cast to
``variable.dtype``, so the arrays stay float64 end to end (exact to the fen far beyond any
household's money), and payable amounts are rounded once (:mod:`safetynet.rules.money`)."""

import numpy as np
from openfisca_core.variables import Variable


class Float64Variable(Variable):
    value_type = float

    def __init__(self, baseline_variable=None) -> None:
        super().__init__(baseline_variable)
        self.dtype = np.float64
