"""Folders beside the lake (``settings.LAKE_DIR``), never inside it.

The lake holds platform data only, pseudonymised on landing (no identity in the clear). Two
folders hold what is not platform data and sit beside it, in the same home:

* the drop zone (``incoming/<source>/``): the departments' deliveries as they arrive, with ID
  numbers and names as the departments wrote them, until ingestion lands them;
* the demo city's answer key (``demo_truth/``): what the demo planted and who truly needs help,
  read only by the evaluations and benches.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def incoming_dir() -> Path:
    """The drop zone for departmental deliveries, beside the lake."""
    return Path(settings.LAKE_DIR).parent / "incoming"


def demo_truth_dir() -> Path:
    """The demo city's ground truth, beside the lake."""
    return Path(settings.LAKE_DIR).parent / "demo_truth"
