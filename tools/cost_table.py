"""Print cost estimates (outputs/<env>-cost.json of playbooks/cost.yml) side by side.

    python -m tools.cost_table outputs/staging-cost.json outputs/prod-cost.json

`make cost ENV=staging,prod` runs the playbook for each environment, then this.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from plugins.module_utils.cost import render_side_by_side


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tools.cost_table <env>-cost.json [...]", file=sys.stderr)
        return 2
    results = [json.loads(Path(path).read_text(encoding="utf-8")) for path in argv]
    as_of = sorted({str(result.get("prices_as_of", "")) for result in results})
    backends = ", ".join(f"{r['environment']} {r.get('service_backend', 'apprunner')}" for r in results)
    print(f"monthly estimate, USD (list prices as of {', '.join(as_of)}; assumptions: each inventory's cost_*)")
    print(f"service_backend: {backends}")
    print("\n".join(render_side_by_side(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
