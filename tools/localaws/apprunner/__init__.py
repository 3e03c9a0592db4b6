"""App Runner for the local endpoint, written with moto's backend framework.

``extensions/apprunner.py`` registers this package as ``moto.apprunner`` so moto's server
finds ``apprunner_backends`` the way it finds its own services.
"""

from tools.localaws.apprunner.models import apprunner_backends

__all__ = ["apprunner_backends"]
