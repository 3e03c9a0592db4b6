"""The file system and configuration of a fake image: what its Dockerfile copies, where it runs.

``docker build`` here runs no ``RUN`` step (no engine): it reads the Dockerfile's ``ARG``,
``ENV``, ``WORKDIR``, ``COPY``/``ADD`` (local sources only), ``CMD``/``ENTRYPOINT`` and
``LABEL`` instructions of the last stage, copies what ``COPY`` names from the build context
(``.dockerignore`` honoured) into ``<state>/images/<image id>/rootfs`` and writes the image
configuration (``Env``, ``WorkingDir``, ``Cmd``, ``Labels``) beside it as ``config.json``.
The local App Runner backend serves an image from that directory (tools/localaws/apprunner).
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Any

from plugins.module_utils.build_context import context_files

VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class DockerfileError(ValueError):
    """An instruction this stand-in cannot reproduce (the message names it)."""


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and ``\\`` continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            word, _, rest = full.partition(" ")
            out.append((word.upper(), rest.strip()))
    if pending.strip():
        word, _, rest = pending.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _expand(value: str, env: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        return env.get(name) or (match.group("default") or "")

    return VARIABLE.sub(sub, value)


def _pairs(rest: str, env: dict[str, str]) -> dict[str, str]:
    """``K=V K2="v 2"`` (or the legacy ``K V``) of ENV/LABEL/ARG."""
    words = shlex.split(rest)
    if words and "=" not in words[0]:
        return {words[0]: _expand(" ".join(words[1:]), env)}
    return {key: _expand(value, env) for key, _, value in (w.partition("=") for w in words)}


def _command(rest: str) -> list[str]:
    if rest.startswith("["):
        return [str(item) for item in json.loads(rest)]
    return ["/bin/sh", "-c", rest]


def _copy(args: list[str], files: dict[str, Path], rootfs: Path, workdir: str) -> None:
    flags = [a for a in args if a.startswith("--")]
    if any(f.startswith("--from") for f in flags):
        raise DockerfileError(f"COPY {' '.join(args)}: copying from another stage or image is not reproduced here")
    paths = [a for a in args if not a.startswith("--")]
    if len(paths) < 2:
        raise DockerfileError(f"COPY {' '.join(args)}: needs a source and a destination")
    *sources, dest = paths
    if any(re.match(r"^[a-z]+://", s) for s in sources):
        raise DockerfileError(f"ADD {' '.join(args)}: remote sources are not reproduced here")
    target = Path(dest if dest.startswith("/") else f"{workdir.rstrip('/')}/{dest}")
    into_dir = dest.endswith("/") or len(sources) > 1
    for source in sources:
        pattern = source.strip("/").removeprefix("./") or "."
        matched = False
        for rel, path in files.items():
            if pattern in {".", rel} or rel.startswith(pattern + "/"):
                inner = rel if pattern == "." else rel[len(pattern) :].lstrip("/")
            elif fnmatch.fnmatch(rel, pattern):
                inner = ""
            else:
                continue
            matched = True
            if inner:  # a directory's contents go under the destination
                out = target / inner
            else:  # a file: into the destination directory, or as the destination
                out = target / path.name if into_dir else target
            destination = rootfs / out.relative_to("/")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
        if not matched:
            raise DockerfileError(
                f'COPY failed: "{source}" not found in the build context (or .dockerignore excludes it)'
            )


def _fresh_config() -> dict[str, Any]:
    return {"WorkingDir": "/", "Cmd": [], "Entrypoint": [], "Labels": {}, "Env": {}}


def _apply(word: str, rest: str, config: dict[str, Any], args: dict[str, str], build_args: dict[str, str]) -> None:
    """One instruction's effect on the image configuration (COPY and FROM are the caller's)."""
    scope = {**args, **config["Env"]}
    if word == "ARG":
        for key, value in _pairs(rest, scope).items():
            args[key] = build_args.get(key, value)
    elif word == "ENV":
        config["Env"].update(_pairs(rest, scope))
    elif word == "LABEL":
        config["Labels"].update(_pairs(rest, scope))
    elif word == "WORKDIR":
        value = _expand(rest, scope)
        config["WorkingDir"] = value if value.startswith("/") else f"{config['WorkingDir'].rstrip('/')}/{value}"
    elif word in ("CMD", "ENTRYPOINT"):
        config["Cmd" if word == "CMD" else "Entrypoint"] = _command(rest)


def materialise(
    state: Path, image_id: str, *, context: Path, dockerfile: Path, build_args: dict[str, str], labels: dict[str, str]
) -> dict[str, Any]:
    """Build ``<state>/images/<image_id>`` once (an image id names its content) and return its config."""
    home = state / "images" / image_id
    if (home / "config.json").exists():
        return dict(json.loads((home / "config.json").read_text()))
    files = dict(context_files(context, dockerfile))
    args: dict[str, str] = {}
    config = _fresh_config()
    (state / "images").mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{image_id[:12]}-", dir=state / "images"))
    rootfs = staging / "rootfs"
    rootfs.mkdir()
    try:
        for word, rest in instructions(dockerfile.read_text()):
            if word == "FROM":  # a new stage starts from nothing this stand-in holds
                shutil.rmtree(rootfs)
                rootfs.mkdir()
                config = _fresh_config()
            elif word in ("COPY", "ADD"):
                scope = {**args, **config["Env"]}
                _copy([_expand(a, scope) for a in shlex.split(rest)], files, rootfs, config["WorkingDir"])
            else:
                _apply(word, rest, config, args, build_args)
        config["Env"] = [f"{k}={v}" for k, v in config["Env"].items()]
        config["Labels"].update(labels)
        (rootfs / config["WorkingDir"].lstrip("/")).mkdir(parents=True, exist_ok=True)
        (staging / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
        try:
            staging.rename(home)
        except OSError:  # built at the same time by another build: same id, same content
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dict(json.loads((home / "config.json").read_text()))
