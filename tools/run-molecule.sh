#!/usr/bin/env bash
# Run every molecule scenario (or those named) against a private local AWS endpoint.
#   tools/run-molecule.sh                 # all scenarios under molecule/
#   tools/run-molecule.sh storage stack   # just these
# The endpoint listens on a free loopback port and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"

port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp -t localaws-molecule.XXXXXX.log)
python -m tools.localaws --port "$port" --apprunner-delay "${LOCALAWS_DELAY:-0.3}" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/moto-api/reset"; then break; fi
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; echo "run-molecule: the local endpoint did not start" >&2; exit 1; }
  sleep 0.2
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

if [ $# -gt 0 ]; then scenarios=("$@"); else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi
failed=()
for s in "${scenarios[@]}"; do
  echo "=== molecule scenario: $s"
  curl -sf -o /dev/null -X POST "$AWS_ENDPOINT_URL/moto-api/reset"
  start=$(date +%s)
  if molecule test -s "$s"; then echo "=== $s passed in $(( $(date +%s) - start ))s"; else failed+=("$s"); echo "=== $s FAILED"; fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "molecule: failed scenarios: ${failed[*]}" >&2; exit 1; fi
echo "molecule: ${#scenarios[@]} scenarios passed"
