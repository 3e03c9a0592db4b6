"""The whole stack converges with 30 % of all AWS calls throttled, and stays converged.

Every AWS client of a run retries throttling the way the AWS SDKs' standard retry mode does
(the playbooks' module_defaults set ``aws_config.retries``; SlowDown from S3, Throttling,
RequestLimitExceeded from EC2, ThrottlingException, ...), so with the local endpoint
throttling 30 % of every service's calls: a converge from an empty account finishes, and the
second run (still throttled) reports changed=0 and makes no mutating call at all, the outputs
file included. Then a tier playbook run alone rewrites its own section of the outputs and
leaves the others.

One test, so one converge: under pytest-xdist a module fixture would converge once per worker.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.playbooks.helpers import run_playbook
from tests.playbooks.stack_helpers import mutating
from tools.localaws.client import calls, clear_faults, reset_calls, set_faults

# sleep_bound: most of its minutes are the standard retry mode's backoff sleeps, so `make pytest`
# runs it in a lane of its own beside the workers, where it leaves no core idle.
pytestmark = [pytest.mark.slow, pytest.mark.sleep_bound]

RATE = 0.3
# Operations the stack only calls a few times: with one draw per call they may escape the
# faults in one run, so the check is on services, which each see many calls.
SERVICES_THROTTLED = {"s3", "ec2", "rds", "iam", "apprunner", "cloudfront", "acm", "route53", "ssm"}


def test_stack_converges_and_stays_converged_under_throttling(
    localaws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKEDOCKER_STATE_DIR", str(tmp_path / "docker"))
    # Lookups (the stored SSM parameters and secrets) run in the controller, outside module_defaults:
    # their clients take the retry mode from the environment, as the README says for throttled accounts.
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "10")
    extra = {
        "platform_outputs_dir": str(tmp_path),
        # A fixed image tag: the build does not depend on whether the checkout is clean.
        "deploy_allow_dirty": True,
        "deploy_image_tag": "throttled",
        "service_image_tag": "throttled",
    }
    set_faults(localaws, throttle_rate=RATE, seed=14)
    try:
        first = run_playbook("site.yml", extra_vars=extra, timeout=2400)
        assert first.rc == 0, first.explain()
        log = calls(localaws)
        throttled = [c for c in log if c["throttled"]]
        # The faults really hit, every service and every error code the SDKs retry.
        assert len(throttled) >= 0.2 * len(log), (len(throttled), len(log))
        assert SERVICES_THROTTLED <= {c["service"] for c in throttled}
        assert any(c["service"] == "s3" and c["status"] == 503 for c in throttled)  # SlowDown
        outputs_file = tmp_path / "local.json"
        written = outputs_file.read_text()
        outputs = json.loads(written)
        assert outputs["service"]["service_url"] and outputs["service"]["service_arn"]
        assert outputs["database"]["endpoint"] and outputs["storage"]["buckets"]["files"]
        # Statuses and per-run counters are printed, not written: they move on by themselves.
        assert "status" not in outputs["service"] and "uploaded" not in outputs["cdn"]
        assert "dir" not in outputs  # platform_outputs_dir is a setting, not a section

        reset_calls(localaws)
        second = run_playbook("site.yml", extra_vars=extra, timeout=2400)
        assert second.rc == 0, second.explain()
        assert second.changed_tasks() == [], second.changed_tasks()
        log = calls(localaws)
        assert mutating(log) == [], "a converged stack makes no write, not even a throttled attempt at one"
        assert sum(c["throttled"] for c in log) >= 0.2 * len(log)
        rewritten = json.loads(outputs_file.read_text())
        first_written = json.loads(written)
        drift = sorted(k for k in set(first_written) | set(rewritten) if first_written.get(k) != rewritten.get(k))
        assert outputs_file.read_text() == written, f"the no-op converge rewrote outputs sections {drift}"
    finally:
        clear_faults(localaws)

    # A tier run alone updates its own section of the outputs and keeps the others.
    outputs["iam"] = {"stale": True}
    outputs["network"] = {"kept": True}
    outputs_file.write_text(json.dumps(outputs))
    tier = run_playbook("playbooks/iam.yml", extra_vars=extra)
    assert tier.rc == 0, tier.explain()
    after = json.loads(outputs_file.read_text())
    assert after["iam"] == json.loads(written)["iam"]
    assert after["network"] == {"kept": True}
    assert tier.changed_tasks() == ["Write the outputs file"]
