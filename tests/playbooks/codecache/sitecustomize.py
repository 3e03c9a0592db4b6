"""Compile each module_utils source once per test session, not once per task.

Every task of a playbook run starts a Python process that imports the module and its
module_utils from the AnsiballZ zip; ``zipimport`` has no bytecode cache for sources, so each
task compiled ``ansible.module_utils.basic`` and amazon.aws's module_utils again (about 0.1 s
of CPU per task, 10 % of a run's CPU). ``tests/playbooks/helpers.py`` puts this directory on
the runs' PYTHONPATH with ``PLAYBOOK_CODE_CACHE`` naming a directory of the test session:
there the code object compiled from a source is kept under the source's SHA-256 and reused,
with the file name of the zip it is imported from this time (tracebacks name the real file).
Nothing else changes: the same source, compiled by the same interpreter.

With ``PLAYBOOK_ANSIBALLZ_CACHE`` set too, the runs of a test session also share the AnsiballZ
payloads the controller builds: ansible-core keeps each module's payload (the module and the
module_utils ``recursive_finder`` collects for it, about 0.2 s of controller CPU per distinct
module) under ``<local tmp>/ansiballz_cache``, a directory made anew for every
``ansible-playbook`` run. Here that directory is a link to the session's, set up as soon as
the controller imports ``ansible.executor.module_common``. ansible-core writes an entry under a
lock and renames it into place; an entry is keyed by the module's name, which is safe inside
one session: the checkout's modules do not change while its tests run.
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


_BALLZ = os.environ.get("PLAYBOOK_ANSIBALLZ_CACHE")


def _share_ansiballz_cache(module_common):  # type: ignore[no-untyped-def]
    """Make this run's ``<local tmp>/ansiballz_cache`` a link to the session's."""
    link = os.path.join(module_common.C.DEFAULT_LOCAL_TMP, "ansiballz_cache")
    if not os.path.lexists(link):
        try:
            os.symlink(_BALLZ, link)  # type: ignore[arg-type]
        except FileExistsError:  # a forked worker was first
            pass


if _BALLZ:
    import importlib.abc
    import importlib.machinery
    import sys

    class _AfterModuleCommon(importlib.abc.MetaPathFinder):
        """Runs ``_share_ansiballz_cache`` once the controller has imported module_common (modules never do)."""

        def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
            if name != "ansible.executor.module_common":
                return None
            sys.meta_path.remove(self)
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_share(module):  # type: ignore[no-untyped-def]
                exec_module(module)
                _share_ansiballz_cache(module)

            spec.loader.exec_module = exec_and_share  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, _AfterModuleCommon())
