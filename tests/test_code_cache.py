"""The test sessions' compile caches (tests/playbooks/codecache/sitecustomize.py) change nothing.

A template compiled with the cache, in the process that fills it and in one that reads it, is
the code ansible-core compiles without it, in each of the lexer's modes: inline templates escape
backslashes in expression strings, ``template`` files and included templates do not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.playbooks.helpers import CODE_CACHE_ENV, CODE_CACHE_SITE

# Each mode compiles the same source; the string constants of the code tell the modes apart.
PROBE = r"""
import json
from ansible._internal._templating._jinja_bits import _TemplateCompileContext
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

env = Templar(loader=DataLoader())._engine.environment
source = "{{ 'a\\tb' }} {% if x is defined %}{{ x | default('c:\\new') }}{% endif %}"


def constants(code):
    out = []
    for value in code.co_consts:
        if isinstance(value, str):
            out.append(value)
        elif hasattr(value, "co_consts"):
            out.extend(constants(value))
    return out


found = {}
for mode, escape in (("inline", True), ("file", False), ("included", None)):
    if escape is None:
        code = env.compile(source)
    else:
        with _TemplateCompileContext(escape_backslashes=escape):
            code = env.compile(source)
    found[mode] = constants(code)
found["expression"] = constants(env.compile_expression("'a\\tb' ~ y", False)._template.root_render_func.__code__)
print(json.dumps(found))
"""


def _probe(cache: Path | None) -> dict[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if k != CODE_CACHE_ENV}
    if cache is not None:
        env[CODE_CACHE_ENV] = str(cache)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_CACHE_SITE), env.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cached_templates_compile_as_without_the_cache(tmp_path: Path) -> None:
    plain = _probe(None)
    assert plain["inline"] != plain["file"], plain  # the modes differ: the probe can tell them apart
    filled = _probe(tmp_path)
    assert any(p.name.startswith("j2-") for p in tmp_path.iterdir())  # the cache was used and filled
    read = _probe(tmp_path)
    assert filled == plain
    assert read == plain
