"""Fixtures of the App Runner module tests.

The repository is the collection invoice.platform; ``make setup`` links it under
collections/, which is put on sys.path so module_utils import as Ansible imports them.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
