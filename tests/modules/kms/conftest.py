"""Make the collection importable as ``ansible_collections.invoice.platform`` (``make setup`` links it)."""

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[3] / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
