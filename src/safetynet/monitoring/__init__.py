"""Dynamic monitoring and early warning (低收入人口动态监测预警).

:func:`alkire_foster` is the points model's measure, public so anyone can check it against the
method's published examples.
"""

from safetynet.monitoring.measures import AlkireFoster, alkire_foster

__all__ = ["AlkireFoster", "alkire_foster"]
