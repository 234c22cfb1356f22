"""The ``safetynet`` command: Django's management commands, with hyphenated names allowed.

``safetynet demo-data --households 20000 --seed 1`` runs the ``demo_data`` command, and so on.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    finally:
        _checkpoint_after_batch()


def _checkpoint_after_batch() -> None:
    """Every batch run through this command ends with a signed checkpoint of the audit chain
    (written only when the run added entries)."""
    from safetynet.audit.services import audit_checkpoint_if_written

    audit_checkpoint_if_written()


if __name__ == "__main__":
    main()
