"""playbooks/cost.yml: the estimate of the real inventories, written or (check mode) only printed.

No AWS call and no endpoint: the playbook reads the inventory only. The figures are those of
the hand calculations in tests/modules/cost/test_cost.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.playbooks.helpers import run_playbook


def test_staging_estimate_is_printed_and_written(tmp_path: Path) -> None:
    run = run_playbook("playbooks/cost.yml", "staging", extra_vars={"cost_outputs_dir": str(tmp_path)})
    assert run.rc == 0, run.explain()
    shown = run.task("Show the estimate")["msg"]
    assert "total: USD 71.52 a month" in shown
    assert "NAT gateway hours (1 x single)" in shown
    written = json.loads((tmp_path / "staging-cost.json").read_text(encoding="utf-8"))
    assert written["total"] == 71.52
    assert written["region"] == "us-east-1"
    # The service tier's default (staging does not set it) reached the estimate.
    calls = next(line for line in written["lines"] if line["price_key"] == "cloudwatch_api_requests")
    assert calls["quantity"] == 87600  # 730 h x 3600 / 30 s


def test_check_mode_prints_and_writes_nothing(tmp_path: Path) -> None:
    # cost_compare_backends: prod also priced on ECS Express Mode (its cost.yml's cost_ecs_*
    # knobs and cost_api_* following the CloudFront ones), in the same run.
    run = run_playbook(
        "playbooks/cost.yml",
        "prod",
        extra_vars={"cost_outputs_dir": str(tmp_path / "out"), "cost_compare_backends": True},
        check=True,
    )
    assert run.rc == 0, run.explain()
    shown = run.task("Show the estimate")["msg"]
    assert "total: USD 271.29 a month" in shown
    assert "service_backend apprunner" in shown.splitlines()[0]
    assert "RDS instance hours (db.t3.small, Multi-AZ: 2 instances)" in shown
    compared = run.task("Show the estimate on each service backend")["msg"].splitlines()
    assert compared[1].split() == ["line", "prod", "apprunner", "prod", "ecs_express"]
    assert compared[-1].split() == ["total", "271.29", "295.91"]
    assert not (tmp_path / "out").exists()


def test_a_negative_assumption_fails_naming_the_variable(tmp_path: Path) -> None:
    # (every other bad input: tests/modules/cost/test_cost.py)
    run = run_playbook(
        "playbooks/cost.yml", "staging", extra_vars={"cost_outputs_dir": str(tmp_path), "cost_nat_data_gb": -5}
    )
    assert run.rc != 0
    assert any("cost_nat_data_gb must be zero or more, got -5" in m for m in run.failure_messages()), run.explain()
    assert list(tmp_path.iterdir()) == []
