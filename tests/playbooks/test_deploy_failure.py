"""A failed image build stops the deploy with what failed and what is left (the block's rescue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.playbooks.helpers import run_playbook
from tests.playbooks.stack_helpers import mutating
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow

FAILING_DOCKER = """#!/bin/sh
case "$1" in
  login) cat >/dev/null; exit 0 ;;
  build) echo "failed to solve: no space left on device" >&2; exit 1 ;;
  *) exit 0 ;;
esac
"""


def test_a_failed_build_names_the_step_and_changes_nothing_else(localaws: str, tmp_path: Path) -> None:
    docker = tmp_path / "docker"
    docker.write_text(FAILING_DOCKER)
    docker.chmod(0o755)
    reset_calls(localaws)
    run = run_playbook(
        "playbooks/deploy.yml", extra_vars={"deploy_docker_command": str(docker), "deploy_allow_dirty": True}
    )
    assert run.rc != 0
    (message,) = [m for m in run.failure_messages() if "was not built and pushed" in m]
    assert '"Build the image" failed' in message
    assert "no space left on device" in message
    assert "the service still runs its current image" in message
    # The repository (kept for the next run) is all that was written; no image, no service update.
    repository = {
        "ecr.CreateRepository",
        "ecr.PutLifecyclePolicy",
        "ecr.PutImageScanningConfiguration",
        "ecr.TagResource",
    }
    assert set(mutating(calls(localaws))) <= repository
    assert not any(c["service"] == "apprunner" and c["mutating"] for c in calls(localaws))
