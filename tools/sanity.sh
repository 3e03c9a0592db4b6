#!/usr/bin/env bash
# ansible-test sanity --test validate-modules for the collection's modules.
#
# ansible-test must run from a directory named ansible_collections/<ns>/<name>, inside a git
# tree, with the collections the modules import (amazon.aws, community.aws) importable.
# This copies what the collection ships (plugins/, meta/, galaxy.yml) into a temporary
# ansible_collections/invoice/platform, links the installed collections beside it and runs
# validate-modules there with the project's .venv Python (no Docker, no network).
#
#   tools/sanity.sh                 # every module
#   tools/sanity.sh apprunner_      # modules whose file name starts with apprunner_
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PREFIX="${1:-}"
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/invoice-sanity.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
COLL="$WORK/ansible_collections/invoice/platform"
mkdir -p "$COLL"
cp -r "$ROOT/plugins" "$ROOT/meta" "$ROOT/galaxy.yml" "$COLL/"
find "$COLL" -name __pycache__ -prune -exec rm -rf {} +
# Dependencies the modules import, found the way Ansible finds them.
for dep in amazon community; do
  ln -s "$SITE/ansible_collections/$dep" "$WORK/ansible_collections/$dep"
done

targets=()
for module in "$COLL"/plugins/modules/"${PREFIX}"*.py; do
  [ -e "$module" ] || { echo "sanity: no module matches plugins/modules/${PREFIX}*.py" >&2; exit 1; }
  targets+=("plugins/modules/$(basename "$module")")
done

# ansible-test runs validate-modules in a virtualenv of its own and bootstraps pip there with
# a script it would download from the Ansible project's CI file host. This script never lets it
# reach that host: the stand-in below bootstraps pip with the standard library's ensurepip,
# then installs the packages ansible-test asks for from the configured pip index.
PIP_VERSION="$("$VENV/bin/python" -c 'from ansible_test._internal.python_requirements import get_venv_packages; from ansible_test._internal.host_configs import NativePythonConfig; print(get_venv_packages(NativePythonConfig(version="3.12"))["pip"])' 2>/dev/null || echo 25.2)"
GET_PIP="$HOME/.ansible/test/cache/get_pip_${PIP_VERSION//./_}.py"
if [ ! -s "$GET_PIP" ]; then
  mkdir -p "$(dirname "$GET_PIP")"
  cat >"$GET_PIP" <<'PY'
# Offline stand-in for get-pip.py written by tools/sanity.sh: ensurepip, then pip install.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *args])
PY
fi

cd "$COLL"
git init -q . && git add -A . && git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
echo "sanity: validate-modules on ${#targets[@]} module(s)"
PATH="$VENV/bin:$PATH" "$VENV/bin/ansible-test" sanity --test validate-modules --python 3.12 --local --color no \
  "${targets[@]}"
