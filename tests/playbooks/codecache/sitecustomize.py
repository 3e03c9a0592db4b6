"""Compile each module_utils source once per test session, not once per task.

Every task of a playbook run starts a Python process that imports the module and its
module_utils from the AnsiballZ zip; ``zipimport`` has no bytecode cache for sources, so each
task compiled ``ansible.module_utils.basic`` and amazon.aws's module_utils again (about 0.1 s
of CPU per task, 10 % of a run's CPU). ``tests/playbooks/helpers.py`` puts this directory on
the runs' PYTHONPATH with ``PLAYBOOK_CODE_CACHE`` naming a directory of the test session:
there the code object compiled from a source is kept under the source's SHA-256 and reused,
with the file name of the zip it is imported from this time (tracebacks name the real file).
Nothing else changes: the same source, compiled by the same interpreter.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import zipimport

_DIR = os.environ.get("PLAYBOOK_CODE_CACHE")
_compile_source = getattr(zipimport, "_compile_source", None)


def _with_filename(code, filename):  # type: ignore[no-untyped-def]
    consts = tuple(_with_filename(c, filename) if isinstance(c, type(code)) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _cached_compile(pathname, source):  # type: ignore[no-untyped-def]
    path = os.path.join(_DIR, hashlib.sha256(source).hexdigest())  # type: ignore[arg-type]
    try:
        with open(path, "rb") as fh:
            return _with_filename(marshal.loads(fh.read()), pathname)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    code = _compile_source(pathname, source)  # type: ignore[misc]
    tmp = f"{path}.{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(marshal.dumps(code))
        os.replace(tmp, path)  # atomic: a concurrent reader sees all of it or nothing
    except OSError:
        pass
    return code


if _DIR and _compile_source is not None:
    zipimport._compile_source = _cached_compile  # type: ignore[attr-defined]
