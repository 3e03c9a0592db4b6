"""Register the App Runner backend (``tools/localaws/apprunner``) with moto's server.

moto's server maps a request to a service in two steps, both extended here without
touching moto's files:

1. The host (for a request to 127.0.0.1 it is rebuilt from the SigV4 credential scope:
   ``apprunner.<region>.amazonaws.com``) is matched against
   ``moto.backend_index.backend_url_patterns``: we append ``("apprunner", <regex>)``.
2. ``moto.backends.get_backend("apprunner")`` imports ``moto.apprunner`` and reads
   ``apprunner_backends``: we put our package into ``sys.modules`` under that name.

``apprunner_backends`` is a moto ``BackendDict``, so ``/moto-api/reset`` resets it with
every other service.
"""

from __future__ import annotations

import re
import sys

import moto
import moto.backend_index

from tools.localaws import apprunner
from tools.localaws.apprunner import urls

SERVICE = "apprunner"


def register() -> None:
    sys.modules[f"moto.{SERVICE}"] = apprunner
    if getattr(moto, SERVICE, None) is not apprunner:
        setattr(moto, SERVICE, apprunner)
    patterns = moto.backend_index.backend_url_patterns
    if not any(name == SERVICE for name, _ in patterns):
        patterns.extend((SERVICE, re.compile(base)) for base in urls.url_bases)
