"""Make the collection importable as ``ansible_collections.invoice.platform`` for every module test.

The repository is the collection; ``make setup`` links it under collections/, which goes on
sys.path so module and module_utils code import the way Ansible imports them.
"""

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[2] / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
