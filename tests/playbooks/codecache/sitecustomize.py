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

The same directory keeps Jinja's compiled templates and expressions: every forked worker of
every run lexed, parsed, generated and compiled the same task arguments and conditions again
(a third of a worker's own CPU). The code object is kept under the SHA-256 of the source and
of every setting the compiler reads (the syntax options, ansible-core's compile state); a
template object is still built from it as Jinja builds one, so rendering, globals and filters
are as before. A syntax error is never kept (it is raised again by the next run). test_dns.py
alternately with and without it, at load 6-7: 39.9 / 42.8 s of CPU with, 46.2 / 45.5 s
without (about 10 % less).
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


def _after_import(name, hook):  # type: ignore[no-untyped-def]
    """Runs ``hook(module)`` once module ``name`` is imported (by whoever imports it first)."""
    import importlib.abc
    import importlib.machinery
    import sys

    class _After(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
            if fullname != name:
                return None
            sys.meta_path.remove(self)
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_hook(module):  # type: ignore[no-untyped-def]
                exec_module(module)
                hook(module)

            spec.loader.exec_module = exec_and_hook  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, _After())


if _BALLZ:  # the controller imports module_common (modules never do)
    _after_import("ansible.executor.module_common", _share_ansiballz_cache)


_JINJA = _DIR


def _ansible_compile_state():  # type: ignore[no-untyped-def]
    """What of ansible-core's own state the compiler reads: its code generator writes constants that
    look like templates differently when embedded templates are allowed, and its lexer escapes
    backslashes in expression strings only inside an explicit compile that asks for it (inline
    templates do; ``template`` files and included templates do not)."""
    import sys

    bits = sys.modules.get("ansible._internal._templating._jinja_bits")  # maybe still importing
    config = getattr(bits, "_TemplateConfig", None)
    context_type = getattr(bits, "_TemplateCompileContext", None)
    context = context_type.current(optional=True) if context_type is not None else None
    return (
        getattr(config, "allow_embedded_templates", None),
        None if context is None else bool(context.escape_backslashes),
    )


def _jinja_key(env, kind, source, *extra):  # type: ignore[no-untyped-def]
    """The cache file of one compiled template: its source and every setting the compiler reads."""
    settings = (
        type(env).__module__, type(env).__qualname__, kind, source, extra,
        env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
        env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
        env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
        env.optimized, env.autoescape if not callable(env.autoescape) else None, tuple(sorted(env.extensions)),
        _ansible_compile_state(),
    )  # fmt: skip
    return os.path.join(_JINJA, "j2-" + hashlib.sha256(repr(settings).encode()).hexdigest())  # type: ignore[arg-type]


def _load_code(path):  # type: ignore[no-untyped-def]
    try:
        with open(path, "rb") as fh:
            return marshal.loads(fh.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _store_code(path, code):  # type: ignore[no-untyped-def]
    tmp = f"{path}.{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(marshal.dumps(code))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass


def _cache_jinja(environment_module):  # type: ignore[no-untyped-def]
    """Keep Jinja's compiled code of each template and expression source for the session.

    Every forked worker of every run compiled the same templates again (lexer, parser, code
    generator, then ``compile``): a third of a worker's own CPU. The code object depends only on
    the source and the environment's syntax settings, which the key holds; rendering, globals
    and filters are untouched (the template object is built from the code as Jinja does)."""
    env_cls = environment_module.Environment
    compile_ = env_cls.compile

    def cached_compile(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]  # noqa: PLR0917 (Jinja's signature)
        if raw or not isinstance(source, str):
            return compile_(self, source, name, filename, raw, defer_init)
        path = _jinja_key(self, "template", str(source), name, filename, defer_init)
        code = _load_code(path)
        if code is None:
            code = compile_(self, source, name, filename, raw, defer_init)
            _store_code(path, code)
        return code

    def cached_compile_expression(self, source, undefined_to_none=True):  # type: ignore[no-untyped-def]
        path = _jinja_key(self, "expression", str(source))
        code = _load_code(path)
        if code is None:  # what Environment.compile_expression does, keeping the code
            nodes = environment_module.nodes
            parser = environment_module.Parser(self, source, state="variable")
            try:
                expr = parser.parse_expression()
                if not parser.stream.eos:
                    raise environment_module.TemplateSyntaxError(
                        "chunk after expression", parser.stream.current.lineno, None, None
                    )
                expr.set_environment(self)
            except environment_module.TemplateSyntaxError:
                self.handle_exception(source=source)
            body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
            code = compile_(self, nodes.Template(body, lineno=1))
            _store_code(path, code)
        template = self.template_class.from_code(self, code, self.make_globals(None), None)
        return environment_module.TemplateExpression(template, undefined_to_none)

    env_cls.compile = cached_compile
    env_cls.compile_expression = cached_compile_expression


if _JINJA:
    _after_import("jinja2.environment", _cache_jinja)
