#!/usr/bin/env bash
# Run every molecule scenario (or those named) against private local AWS endpoints.
#   tools/run-molecule.sh                 # all scenarios under molecule/
#   tools/run-molecule.sh storage stack   # just these
#   MOLECULE_JOBS=1 tools/run-molecule.sh # one at a time
# Scenarios run in MOLECULE_JOBS lanes at once (default 2). Each lane has its own endpoint
# on a free loopback port (reset before each of its scenarios) and runs its scenarios one
# after the other; the longest scenarios are dealt out first. Each scenario's output is
# printed whole when it ends. Every endpoint is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

if [ $# -gt 0 ]; then scenarios=("$@"); else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi
jobs=${MOLECULE_JOBS:-2}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run-molecule: MOLECULE_JOBS must be a whole number >= 1, not '$jobs'" >&2; exit 2; }

# Relative cost of each scenario (its seconds in a CI run at load 8, divided by 5; longest
# first); a new scenario counts as 20.
declare -A weight=([stack]=130 [worker]=60 [cdn]=32 [service]=25 [database]=24 [iam]=19 [deploy]=19
  [certificates]=14 [monitoring]=13 [storage]=12 [secrets]=11 [dns]=9 [network]=8 [preflight]=5)
mapfile -t ordered < <(for s in "${scenarios[@]}"; do echo "${weight[$s]:-20} $s"; done | sort -rn | cut -d' ' -f2)
declare -a lane_of lane_load
for ((l = 0; l < jobs; l++)); do lane_load[l]=0; done
for s in "${ordered[@]}"; do  # greedy: each scenario to the least loaded lane
  best=0; for ((l = 1; l < jobs; l++)); do (( lane_load[l] < lane_load[best] )) && best=$l; done
  lane_of[best]+="$s "; lane_load[best]=$(( lane_load[best] + ${weight[$s]:-20} ))
done

work=$(mktemp -d -t run-molecule.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$work"/endpoint-*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

lane() {  # lane NUMBER SCENARIO...
  local n=$1; shift
  local port log
  port=$(free_port)
  log="$work/endpoint-$n.log"
  python -m tools.localaws --port "$port" --apprunner-delay "${LOCALAWS_DELAY:-0.3}" >"$log" 2>&1 &
  echo $! >"$work/endpoint-$n.pid"
  for _ in $(seq 1 150); do
    if curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/moto-api/reset"; then break; fi
    kill -0 "$(cat "$work/endpoint-$n.pid")" 2>/dev/null || { cat "$log" >&2; echo "run-molecule: lane $n: the local endpoint did not start" >&2; printf '%s\n' "$@" >>"$work/failed"; return 1; }
    sleep 0.2
  done
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  local s start rc=0
  for s in "$@"; do
    curl -sf -o /dev/null -X POST "$AWS_ENDPOINT_URL/moto-api/reset"
    # The tier playbooks write outputs/<env>.json: one file per scenario, not the checkout's.
    export PLATFORM_OUTPUTS_DIR="$work/outputs-$s"
    start=$(date +%s)
    if molecule test -s "$s" >"$work/$s.out" 2>&1; then
      echo "=== $s passed in $(( $(date +%s) - start ))s" >>"$work/$s.out"; echo "$s" >>"$work/passed"
    else
      echo "=== $s FAILED after $(( $(date +%s) - start ))s" >>"$work/$s.out"; echo "$s" >>"$work/failed"; rc=1
    fi
    { flock 9; echo "=== molecule scenario: $s (lane $n)"; cat "$work/$s.out"; } 9>"$work/print.lock"
  done
  return $rc
}

start=$(date +%s)
for ((l = 0; l < jobs; l++)); do
  read -ra mine <<<"${lane_of[l]:-}"
  [ ${#mine[@]} -gt 0 ] || continue
  lane "$l" "${mine[@]}" &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
pids=()
if [ $status -ne 0 ] || [ -s "$work/failed" ]; then
  echo "molecule: failed scenarios: $(tr '\n' ' ' <"$work/failed" 2>/dev/null)" >&2; exit 1
fi
echo "molecule: ${#scenarios[@]} scenarios passed in $(( $(date +%s) - start ))s ($jobs lanes)"
