"""Run the ECS Express modules in-process (no ansible-playbook): main() with patched arguments."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args

Run = Callable[..., dict[str, Any]]


def run_module(module: str, params: dict[str, Any], *, check: bool = False, diff: bool = False) -> dict[str, Any]:
    """The result ``invoice.platform.<module>`` prints for ``params`` (``failed`` set when it failed)."""
    main = importlib.import_module(f"ansible_collections.invoice.platform.plugins.modules.{module}").main
    args = {**params, "_ansible_check_mode": check, "_ansible_diff": diff}
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main()
    return dict(json.loads(out.getvalue()))


@pytest.fixture
def express(localaws: str) -> Run:
    """``express(params, check=..., diff=...)``: one run of ecs_express_service on the local endpoint."""
    return lambda params, **mode: run_module("ecs_express_service", {"wait_timeout": 60, **params}, **mode)


@pytest.fixture
def express_info(localaws: str) -> Run:
    return lambda params: run_module("ecs_express_service_info", params)
