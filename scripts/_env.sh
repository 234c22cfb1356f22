# Shared by scripts/demo and scripts/test: make .venv and install the project into it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3, 11), (3, 12)) else 1)'; then
  echo "SafetyNet needs Python 3.11 or 3.12; $PY is $("$PY" --version 2>&1)." >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
# This machine kind's pip.conf names local mirror folders that may be absent; pip warns about each.
_pip() { python -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
_pip install -q --disable-pip-version-check --upgrade pip >/dev/null
if [ -n "${EXTRAS:-}" ]; then target=".[${EXTRAS}]"; else target="."; fi
_pip install -q --disable-pip-version-check -e "$target"
