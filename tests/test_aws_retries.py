"""Every AWS client of a run retries throttling as the SDKs' standard retry mode does.

The playbooks set it once for every module of the invoice.platform.aws action group (which
extends amazon.aws and community.aws) through module_defaults; a module outside the group
must pass the same aws_config. A new playbook without it fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.config import Config
from botocore.retries import standard

ROOT = Path(__file__).resolve().parent.parent
RETRIES = {"retries": {"mode": "standard", "max_attempts": 10}}


def plays() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(path.read_text()) or []:
            if isinstance(play, dict) and "hosts" in play:
                out.append((path.name, play))
    return out


def tasks(items: Any) -> list[dict[str, Any]]:
    out = []
    for task in items or []:
        if isinstance(task, dict):
            out.append(task)
            for key in ("block", "rescue", "always"):
                out += tasks(task.get(key))
    return out


def aws_modules(role: Any) -> list[str]:
    """The AWS modules a role's tasks call (amazon.aws, community.aws or the collection's AWS group)."""
    role_name = (role["role"] if isinstance(role, dict) else role).split(".")[-1]
    group = set(yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]["aws"][1:])
    found = []
    for path in sorted((ROOT / "roles" / role_name / "tasks").glob("*.yml")):
        for task in tasks(yaml.safe_load(path.read_text())):
            for key in task:
                if key.startswith(("amazon.aws.", "community.aws.")) or (
                    key.startswith("invoice.platform.") and key[17:] in group
                ):
                    found.append(key)
    return found


@pytest.mark.parametrize(("name", "play"), plays(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_aws_play_configures_standard_retries(name: str, play: dict[str, Any]) -> None:
    defaults = (play.get("module_defaults") or {}).get("group/invoice.platform.aws")
    if defaults is None:
        # Allowed only where no role of the play calls AWS (cost.yml reads the inventory only).
        aws = [m for role in play.get("roles") or [] for m in aws_modules(role)]
        assert not aws, f"{name}: a play whose roles call AWS ({', '.join(sorted(set(aws)))}) and no module_defaults"
        return
    assert defaults.get("aws_config") == RETRIES, name


def test_every_module_the_roles_call_is_in_the_aws_group_or_passes_the_retries() -> None:
    group = set(yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]["aws"][1:])
    for path in sorted((ROOT / "roles").glob("*/tasks/*.yml")):
        for task in tasks(yaml.safe_load(path.read_text())):
            for key in task:
                module = ROOT / "plugins" / "modules" / f"{key[17:]}.py"
                if key.startswith("invoice.platform.") and module.exists() and "AnsibleAWSModule" in module.read_text():
                    assert key[17:] in group or task[key].get("aws_config") == RETRIES, (
                        f"{path.relative_to(ROOT)}: {key}"
                    )


def test_the_configured_mode_retries_every_throttling_code_with_a_bounded_time() -> None:
    codes = set(standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES)
    assert {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    } <= codes
    client = botocore.session.get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9", config=Config(**RETRIES)
    )
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 11}  # the first + 10 retries
    # Backoff is capped per attempt, so a call gives up after at most 10 * 20 s of waiting.
    assert standard.ExponentialBackoff._MAX_BACKOFF == 20
