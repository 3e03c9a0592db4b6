# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a ``docker build`` of a directory sends and copies, and the version that names it.

Shared by the ``build_context_info`` module (the deploy role's image tag) and the local
``docker`` stand-in (``tools/fakedocker``), so the tag the deploy computes and the image the
stand-in builds describe the same files.

- The context: every file under the directory that ``.dockerignore`` does not exclude, with
  Docker's rules: patterns are matched against the path and each of its parents, ``*`` and ``?``
  stay within one path element, ``**`` spans any number, and the last matching pattern wins
  (``!`` re-includes). The Dockerfile is always sent.
- The version: the SHA-256 of the Dockerfile and of every context file (path and bytes), so the
  same context gives the same version whatever else changed in the repository.
- Dirty: the context paths among ``git status``'s changes (modified, added, deleted, untracked).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

# Never part of an image whatever .dockerignore says (VCS data, virtualenvs, caches).
ALWAYS_IGNORED = (".git", ".venv", "node_modules", ".run", "collections", "**/__pycache__", ".mypy_cache")


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        i += 1
    return re.compile("".join(out) + r"\Z")


def ignore_rules(context: Path) -> list[tuple[re.Pattern[str], bool, str]]:
    """(pattern, excludes, text) in file order: the built-in exclusions, then ``.dockerignore``."""
    lines = list(ALWAYS_IGNORED)
    ignore_file = context / ".dockerignore"
    if ignore_file.exists():
        lines += [line.strip() for line in ignore_file.read_text().splitlines()]
    rules = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        cleaned = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
        rules.append((_pattern_regex(cleaned), not negated, cleaned))
    return rules


def ignored(rel: str, rules: list[tuple[re.Pattern[str], bool, str]]) -> bool:
    """Whether ``rel`` (a POSIX path relative to the context) is left out of the context."""
    parts = rel.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for regex, excludes, _ in rules:
        if any(regex.match(candidate) for candidate in candidates):
            excluded = excludes
    return excluded


def _walk_into(rel: str, rules: list[tuple[re.Pattern[str], bool, str]]) -> bool:
    """False for an excluded directory that no ``!`` pattern can re-include anything under."""
    if not ignored(rel, rules):
        return True
    return any(
        not excludes and (text.startswith(rel + "/") or text[:1] in "*?[" or rel.startswith(text.split("*")[0]))
        for _, excludes, text in rules
    )


def context_files(context: Path, dockerfile: Path) -> Iterator[tuple[str, Path]]:
    """(relative POSIX path, path) of every file sent: the context's, sorted, and the Dockerfile."""
    rules = ignore_rules(context)
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(context):
        base = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if _walk_into((base / d).relative_to(context).as_posix(), rules))
        for name in filenames:
            path = base / name
            rel = path.relative_to(context).as_posix()
            if not ignored(rel, rules) and path.is_file():
                found[rel] = path
    if dockerfile.is_file():
        try:
            found.setdefault(dockerfile.relative_to(context).as_posix(), dockerfile)
        except ValueError:
            pass  # a Dockerfile outside the context is hashed on its own (version())
    for rel in sorted(found):
        yield rel, found[rel]


def layer_digest(context: Path, dockerfile: Path) -> tuple[str, int]:
    """SHA-256 (hex) of the context's paths and bytes, and the number of files."""
    digest = hashlib.sha256()
    count = 0
    for rel, path in context_files(context, dockerfile):
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
        count += 1
    return digest.hexdigest(), count


def version(context: Path, dockerfile: Path, length: int = 16) -> tuple[str, int]:
    """The content version of a build (the first ``length`` hex digits of its context's hash), the file count."""
    layer, count = layer_digest(context, dockerfile)
    digest = hashlib.sha256(dockerfile.read_bytes() + b"\0" + layer.encode()).hexdigest()
    return digest[:length], count


def dirty_paths(context: Path, dockerfile: Path) -> list[str]:
    """Uncommitted changes (``git status`` lines) to files that are part of the build context."""
    proc = subprocess.run(
        ["git", "status", "--porcelain", "-z", "--untracked-files=all", "--no-renames", "--", "."],  # noqa: S607
        cwd=context,
        capture_output=True,
        text=True,
        check=True,
    )
    top = subprocess.run(
        ["git", "rev-parse", "--show-prefix"],  # noqa: S607
        cwd=context,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    rules = ignore_rules(context)
    try:
        dockerfile_rel = dockerfile.resolve().relative_to(context.resolve()).as_posix()
    except ValueError:
        dockerfile_rel = ""
    out = []
    for entry in filter(None, proc.stdout.split("\0")):
        status, rel = entry[:2], entry[3:].removeprefix(top)
        if rel == dockerfile_rel or not ignored(rel, rules):
            out.append(f"{status.strip()} {rel}")
    return out
