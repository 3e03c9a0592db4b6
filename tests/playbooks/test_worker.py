"""roles/worker through playbooks/worker.yml: check mode on an empty account, bad input.

The full converge (site.yml: a batch processed by the worker service scaled from zero, a
worker killed mid-batch, a second converge with changed=0) is in test_site_serves_api.py,
which shares the one converge of the stack.
"""

from __future__ import annotations

import boto3
import pytest

from tests.playbooks.helpers import run_playbook
from tests.playbooks.stack_helpers import converge, mutating
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow


def test_check_on_empty_account_creates_nothing(localaws: str) -> None:
    run = converge("playbooks/worker.yml", check=True, diff=True)
    assert mutating(calls(localaws)) == []
    assert boto3.client("ecs").list_clusters()["clusterArns"] == []
    planned = run.task("Ensure the worker service runs the task definition")
    assert planned["changed"] and planned["created"] and planned["service"] == {}, planned
    assert planned["diff"]["after"]["desired_count"] == 0  # worker_min_size of the local inventory
    assert planned["diff"]["after"]["network_configuration"]["assign_public_ip"] is False
    assert "invoice.platform.worker : Ensure the worker scales on the queue depth" in run.changed_tasks()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"worker_min_size": 3, "worker_max_size": 2},
            "worker_min_size (3) must be 0 or more and at most worker_max_size",
        ),
        ({"worker_cpu": 256, "worker_memory": 4096}, "worker_cpu 256 / worker_memory 4096 is not a Fargate size"),
        ({"worker_env": {"DB_PASSWORD": "x"}}, "looks like a secret: put it in worker_secrets"),
    ],
)
def test_bad_settings_fail_before_any_worker_call(localaws: str, extra: dict, message: str) -> None:
    reset_calls(localaws)
    run = run_playbook("playbooks/worker.yml", extra_vars=extra)
    assert run.rc != 0 and any(message in m for m in run.failure_messages()), run.explain()
    # only the preflight (identity and account checks) ran: nothing of the worker tier
    assert not {c["service"] for c in calls(localaws)} & {
        "ecs",
        "apprunner",
        "application-autoscaling",
        "cloudwatch",
        "logs",
        "ec2",
    }
