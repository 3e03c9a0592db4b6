#!/usr/bin/env bash
# Run molecule scenarios (all under molecule/, or those named) one after the other against a
# private local AWS endpoint on a free loopback port, reset before each scenario.
#   tools/run-molecule.sh                 # all scenarios under molecule/
#   tools/run-molecule.sh storage stack   # just these
# Each scenario's output is printed whole when it ends; the endpoint is stopped on exit.
# `make molecule` (and `make test`, within pytest) runs each scenario as a test of its own
# (tests/molecule/test_scenarios.py), in parallel xdist workers, longest first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

if [ $# -gt 0 ]; then scenarios=("$@"); else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi
for s in "${scenarios[@]}"; do
  [ -f "molecule/$s/molecule.yml" ] || { echo "run-molecule: no scenario molecule/$s/molecule.yml" >&2; exit 2; }
done

work=$(mktemp -d -t run-molecule.XXXXXX)
cleanup() {
  [ -f "$work/endpoint.pid" ] && kill "$(cat "$work/endpoint.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python -m tools.localaws --port "$port" --apprunner-delay "${LOCALAWS_DELAY:-0.3}" >"$work/endpoint.log" 2>&1 &
echo $! >"$work/endpoint.pid"
for _ in $(seq 1 150); do
  if curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/moto-api/reset"; then break; fi
  kill -0 "$(cat "$work/endpoint.pid")" 2>/dev/null || { cat "$work/endpoint.log" >&2; echo "run-molecule: the local endpoint did not start" >&2; exit 1; }
  sleep 0.2
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"

start=$(date +%s)
failed=()
for s in "${scenarios[@]}"; do
  curl -sf -o /dev/null -X POST "$AWS_ENDPOINT_URL/moto-api/reset"
  # The tier playbooks write outputs/<env>.json: one file per scenario, not the checkout's.
  export PLATFORM_OUTPUTS_DIR="$work/outputs-$s"
  began=$(date +%s)
  echo "=== molecule scenario: $s"
  if molecule test -s "$s"; then echo "=== $s passed in $(( $(date +%s) - began ))s"
  else echo "=== $s FAILED after $(( $(date +%s) - began ))s"; failed+=("$s"); fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "molecule: failed scenarios: ${failed[*]}" >&2; exit 1; fi
echo "molecule: ${#scenarios[@]} scenario(s) passed in $(( $(date +%s) - start ))s"
