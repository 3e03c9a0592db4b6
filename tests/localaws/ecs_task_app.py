"""A container command for the local ECS tests: records its environment, then waits.

``python ecs_task_app.py OUT_DIR graceful|stubborn``: writes ``OUT_DIR/<pid>.json`` (the
variables named in ``$RECORD``), then sleeps. On SIGTERM a graceful task writes
``OUT_DIR/<pid>.term`` and exits 0; a stubborn one notes the signal and goes on (SIGKILL ends it).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

out, mode = Path(sys.argv[1]), sys.argv[2]
names = os.environ.get("RECORD", "").split(",")
(out / f"{os.getpid()}.json").write_text(json.dumps({n: os.environ.get(n) for n in names}))


def terminated(*_: object) -> None:
    (out / f"{os.getpid()}.term").write_text(mode)
    if mode == "graceful":
        sys.exit(0)


signal.signal(signal.SIGTERM, terminated)
while True:
    time.sleep(0.1)
