#!/usr/bin/env bash
# Print the path of a Python 3.12 interpreter, or explain what is missing.
# Order: $PYTHON, python3.12 on PATH, a pyenv-installed 3.12.x.
set -euo pipefail

is_312() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' 2>/dev/null; }

if [ -n "${PYTHON:-}" ]; then
  if is_312 "$PYTHON"; then echo "$PYTHON"; exit 0; fi
  echo "error: PYTHON=$PYTHON is not a Python 3.12 interpreter" >&2; exit 1
fi
if command -v python3.12 >/dev/null 2>&1; then
  p=$(command -v python3.12)
  # a pyenv shim answers even when no 3.12 is selected; check that it runs
  if is_312 "$p"; then echo "$p"; exit 0; fi
fi
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.[0-9]+)?$' | sort -V -r); do
    p=$(PYENV_VERSION=$v pyenv which python3.12 2>/dev/null || true)
    if [ -n "$p" ] && is_312 "$p"; then echo "$p"; exit 0; fi
  done
fi
cat >&2 <<'MSG'
error: Python 3.12 not found (ansible-core 2.21 needs >= 3.12; the toolkit is pinned to 3.12).
  Install it, then run `make setup` again. Any one of:
    - Debian/Ubuntu:  apt-get install python3.12 python3.12-venv
    - pyenv:          pyenv install 3.12
    - or point at one: make setup PYTHON=/path/to/python3.12
MSG
exit 1
