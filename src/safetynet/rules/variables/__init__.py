"""The rules' variables, one module per programme. :data:`ALL` lists every Variable class."""

from safetynet.rules.variables import (
    assets,
    dibao,
    disability,
    facts,
    income,
    low_income_margin,
    medical_assistance,
    people,
    supporters,
    tekun,
    temporary_assistance,
)

_MODULES = (
    facts,
    people,
    supporters,
    income,
    assets,
    tekun,
    dibao,
    low_income_margin,
    temporary_assistance,
    medical_assistance,
    disability,
)

ALL = [cls for module in _MODULES for cls in module.VARIABLES]
