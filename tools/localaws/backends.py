"""Registration of the backends and fixes moto lacks.

Every module in ``tools/localaws/extensions/`` that defines ``register()`` is imported and
registered at start-up, in name order. The App Runner backend lives in ``apprunner/``.
"""

from __future__ import annotations

import importlib
import pkgutil

from tools.localaws import extensions


def register_all() -> None:
    """Register every extra backend with moto's dispatch tables (idempotent)."""
    for info in sorted(pkgutil.iter_modules(extensions.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{extensions.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register()
