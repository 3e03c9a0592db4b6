"""Stack benchmark: first converge, no-op re-run and --check of the whole stack, and the AWS
calls of the no-op run, against a private local AWS endpoint.

    python -m bench.stack_bench [--delay 0.2] [--inventory local] [--throttle 0.3]

Runs ``site.yml`` when it imports the tier playbooks, otherwise the tier playbooks in
dependency order. Prints a table and writes ``bench/results/stack-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# deploy before service: the first converge then creates the service from the pushed build.
TIERS = [
    "network",
    "storage",
    "secrets",
    "database",
    "iam",
    "dns",
    "certificates",
    "deploy",
    "service",
    "cdn",
    "monitoring",
]
# A managed resource is counted once for each first-run call that brings one into being.
CREATES = ("Create", "Request", "Associate", "Allocate", "RunInstances", "PutParameter", "PutImage", "PutObject")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def playbooks(tiers: list[str] | None = None) -> list[str]:
    if tiers:
        missing = [t for t in tiers if not (ROOT / "playbooks" / f"{t}.yml").exists()]
        if missing:
            raise SystemExit(f"stack_bench: no playbooks/<tier>.yml for --tiers {', '.join(missing)}")
        return [f"playbooks/{t}.yml" for t in tiers]
    site = (ROOT / "site.yml").read_text() if (ROOT / "site.yml").exists() else ""
    if "playbooks/service.yml" in site:
        return ["site.yml"]
    return [f"playbooks/{t}.yml" for t in TIERS if (ROOT / "playbooks" / f"{t}.yml").exists()]


def run(
    books: list[str], inventory: str, env: dict[str, str], extra: list[str], url: str, *args: str
) -> tuple[float, int, str, list[dict[str, Any]], dict[str, Any]]:
    """Run the playbooks in order; return seconds, rc, output tail, all calls, calls per playbook."""
    from tools.localaws.client import calls, reset_calls

    start = time.monotonic()
    out: list[str] = []
    log: list[dict[str, Any]] = []
    per_book: dict[str, Any] = {}
    rc = 0
    for book in books:
        reset_calls(url)
        began = time.monotonic()
        clock = Path(tempfile.mkstemp(prefix="stack-bench-tasks-", suffix=".jsonl")[1])
        env = {**env, "TASK_CLOCK_FILE": str(clock)}
        proc = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "ansible-playbook"),
                "-i",
                f"inventories/{inventory}",
                book,
                *[a for e in extra for a in ("-e", e)],
                *args,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        book_calls = attribute(calls(url), clock)
        clock.unlink()
        log += book_calls
        per_book[book] = {
            "seconds": round(time.monotonic() - began, 1),
            "calls": len(book_calls),
            "mutating": sum(1 for c in book_calls if c["mutating"]),
            "throttled": sum(1 for c in book_calls if c.get("throttled")),
            "changed": changed_count(proc.stdout),
        }
        out.append(proc.stdout[-3000:] + proc.stderr[-2000:])
        rc = rc or proc.returncode
        if proc.returncode:
            break
    return time.monotonic() - start, rc, "\n".join(out), log, per_book


def reset(url: str) -> None:
    """Empty every backend of the endpoint (moto's reset; it also clears faults and the call log)."""
    import urllib.request

    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:  # the benchmark's own loopback endpoint  # nosec B310
        resp.read()


def changed_count(output: str) -> int:
    """changed= of the play recap of an ansible-playbook run (the default callback's)."""
    found = [int(part.split("=", 1)[1]) for part in output.split() if part.startswith("changed=")]
    return found[-1] if found else 0


def attribute(log: list[dict[str, Any]], clock: Path) -> list[dict[str, Any]]:
    """Add to each call the task that made it: the last task that started before it."""
    starts = [json.loads(line) for line in clock.read_text().splitlines() if line.strip()]
    for call in log:
        task = None
        for start in starts:
            if start["time"] > call.get("time", 0):
                break
            task = start
        call["task"] = f"{task['role'] or '(play)'}: {task['task']}" if task else "(before the first task)"
    return log


def summarise(log: list[dict[str, Any]]) -> dict[str, Any]:
    per_op = Counter(f"{c['service']}.{c['operation']}" for c in log)
    return {
        "per_task": dict(Counter(c["task"] for c in log if not c["mutating"]).most_common()),
        "total": len(log),
        "mutating": sum(1 for c in log if c["mutating"]),
        "mutating_calls": sorted({f"{c['service']}.{c['operation']}" for c in log if c["mutating"]}),
        # Answered by the endpoint's fault injection: each is one retry by the client.
        "throttled": sum(1 for c in log if c.get("throttled")),
        "throttled_per_service": dict(Counter(c["service"] for c in log if c.get("throttled")).most_common()),
        "per_service": dict(Counter(c["service"] for c in log).most_common()),
        "per_operation": dict(per_op.most_common()),
    }


def report(results: dict[str, Any]) -> None:
    """Print the runs, the no-op run per playbook and the reads per managed resource."""
    print(f"{'run':<26}{'seconds':>9}{'rc':>4}{'calls':>7}{'writes':>8}{'throttled':>10}{'changed':>9}")
    for name, data in results["runs"].items():
        c = data["calls"]
        changed = data.get("changed", "")
        print(
            f"{name:<26}{data['seconds']:>9}{data['rc']:>4}{c['total']:>7}{c['mutating']:>8}{c['throttled']:>10}{changed:>9}"
        )
    if "noop_rerun" in results["runs"]:
        print("no-op re-run per playbook (seconds, calls, writes):")
        for book, data in results["runs"]["noop_rerun"]["per_playbook"].items():
            print(f"  {book:<30}{data['seconds']:>7}{data['calls']:>6}{data['mutating']:>4}")
    noop = results["runs"].get("noop_rerun")
    if noop and "managed" in results:
        reads = noop["calls"]["total"] - noop["calls"]["mutating"]
        own = sum(results["managed"]["resources"].values())
        settings = sum(results["managed"]["settings"].values())
        results["noop_reads"] = reads
        results["noop_reads_per_resource"] = round(reads / max(own, 1), 2)
        results["noop_reads_per_resource_or_setting"] = round(reads / max(own + settings, 1), 2)
        print("managed (read back from the endpoint after the first converge; see bench/resources.py):")
        for kind in ("resources", "settings"):
            listed = ", ".join(f"{k} {v}" for k, v in results["managed"][kind].items())
            print(f"  {kind} ({sum(results['managed'][kind].values())}): {listed}")
        print(
            f"no-op reads {reads}: {results['noop_reads_per_resource']} per resource, "
            f"{results['noop_reads_per_resource_or_setting']} per resource or setting; "
            f"first-run creation calls {results['creations']}; no-op writes: {noop['calls']['mutating_calls']}"
        )
        print("top no-op calls:", dict(list(noop["calls"]["per_operation"].items())[:15]))
        print("no-op reads by task (top 25):")
        for task, count in list(noop["calls"]["per_task"].items())[:25]:
            print(f"  {count:>4}  {task}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stack_bench", description=__doc__)
    parser.add_argument("--delay", type=float, default=0.2, help="App Runner operation delay in seconds")
    parser.add_argument("--inventory", default="local")
    parser.add_argument("--tiers", help="comma-separated tier playbooks to run instead of site.yml, in order")
    parser.add_argument("-e", "--extra-vars", action="append", default=[], help="passed to every ansible-playbook run")
    parser.add_argument(
        "--throttle",
        type=float,
        default=0.3,
        help="then, on an emptied endpoint, converge and re-run with this share of all calls throttled (0: skip)",
    )
    parser.add_argument("--seed", type=int, default=14, help="seed of the throttling decisions")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from bench.resources import managed
    from tools.localaws import LocalAWS

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise

    server = LocalAWS("127.0.0.1", free_port(), apprunner_delay=args.delay).start()
    state = tempfile.mkdtemp(prefix="stack-bench-docker-")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "FAKEDOCKER_STATE_DIR": state,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        # Task start times, to tell which task made each call (bench/callback_plugins/task_clock.py).
        "ANSIBLE_CALLBACK_PLUGINS": str(ROOT / "bench" / "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "task_clock",
    }
    env.pop("AWS_PROFILE", None)
    # Build from a clean clone of HEAD: the deploy tier refuses a dirty tree, and a checkout
    # others commit to while the benchmark runs would change the image tag between runs.
    source = Path(tempfile.mkdtemp(prefix="stack-bench-src-")) / "src"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{ROOT}", str(source)], check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=source, check=True, capture_output=True, text=True
    ).stdout.strip()
    extra_vars = [json.dumps({"deploy_context": str(source), "service_image_tag": commit}), *args.extra_vars]
    books = playbooks(args.tiers.split(",") if args.tiers else None)
    results: dict[str, Any] = {"playbooks": books, "delay": args.delay, "extra_vars": args.extra_vars, "runs": {}}
    passes: list[tuple[str, tuple[str, ...]]] = [
        ("first_converge", ()),
        ("noop_rerun", ()),
        ("check", ("--check", "--diff")),
    ]
    if args.throttle:
        results["throttle"] = {"rate": args.throttle, "seed": args.seed}
        passes += [("throttled_first_converge", ()), ("throttled_noop_rerun", ())]
    try:
        for name, extra in passes:
            if name == "throttled_first_converge":
                from tools.localaws.client import set_faults

                reset(server.url)  # an empty account again, then every service throttled
                set_faults(server.url, throttle_rate=args.throttle, seed=args.seed)
            seconds, rc, out, log, per_book = run(books, args.inventory, env, extra_vars, server.url, *extra)
            results["runs"][name] = {
                "seconds": round(seconds, 1),
                "rc": rc,
                "changed": sum(b.get("changed", 0) for b in per_book.values()),
                "calls": summarise(log),
                "per_playbook": per_book,
            }
            if name == "first_converge":
                results["creations"] = sum(1 for c in log if c["mutating"] and c["operation"].startswith(CREATES))
                if rc == 0:
                    results["managed"] = managed(server.url)
            if rc:
                results["runs"][name]["output_tail"] = out[-4000:]
                print(out[-4000:], file=sys.stderr)
                break
    finally:
        server.stop()

    report(results)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"stack-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"written: {path.relative_to(ROOT)}")
    return 0 if all(r["rc"] == 0 for r in results["runs"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
