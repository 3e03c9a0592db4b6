"""The local AWS endpoint: moto's server plus the backends moto lacks (App Runner).

Start it with ``python -m tools.localaws --port 4566`` (foreground) or ``make up``.
"""

from tools.localaws.server import LocalAWS, register_backends

__all__ = ["LocalAWS", "register_backends"]
