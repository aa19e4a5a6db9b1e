# Shared by scripts/serve and scripts/test: make .venv and install the project when its
# dependencies changed (a stamp keyed by pyproject.toml's hash).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "error[environment]: Tollhouse needs Python 3.11 or newer; found $("$PYTHON" --version 2>&1)" >&2
  exit 3
}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
ensure_installed() {
  local extras="$1"
  local stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extras//,/_}"
  if [ ! -f "$stamp" ]; then
    echo "installing tollhouse${extras:+[$extras]} into .venv (once per dependency change)" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip >&2
    .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}" >&2
    rm -f .venv/.installed-* && touch "$stamp"
  fi
}
