"""Registration of the backends moto lacks. The App Runner backend lives in ``apprunner/``."""

from __future__ import annotations


def register_all() -> None:
    """Register every extra backend with moto's dispatch tables (idempotent)."""
