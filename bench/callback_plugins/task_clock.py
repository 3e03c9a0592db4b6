"""Ansible callback for the stack benchmark: the start time of every task, as JSON lines.

Enabled by ``python -m bench.stack_bench`` only (ANSIBLE_CALLBACK_PLUGINS +
ANSIBLE_CALLBACKS_ENABLED); it writes to the file named by ``TASK_CLOCK_FILE``. One host runs
the tasks one after the other, so each AWS call in the endpoint's call log belongs to the last
task that started before it.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_clock
type: aggregate
short_description: Write the start time of every task to TASK_CLOCK_FILE (stack benchmark)
description:
  - One JSON object per line with C(time), C(task) and C(role).
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_clock"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._path = os.environ.get("TASK_CLOCK_FILE", "")

    def _record(self, task: object) -> None:
        if not self._path:
            return
        role = getattr(task, "_role", None)
        entry = {
            "time": time.time(),
            "task": task.get_name(),  # type: ignore[attr-defined]
            "role": role.get_name() if role is not None else None,
        }
        with open(self._path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")

    def v2_playbook_on_task_start(self, task: object, is_conditional: bool) -> None:
        self._record(task)

    def v2_playbook_on_handler_task_start(self, task: object) -> None:
        self._record(task)
