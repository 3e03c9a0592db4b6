"""Build a CodeRepository service from the committed tree (the local stand-in of App Runner's build).

On AWS, App Runner clones the repository of ``CodeRepository.RepositoryUrl`` through the
service's connection, checks out ``SourceCodeVersion`` (a branch), runs the build commands in
its managed runtime and then the start command. Here:

* The repository URL must be a local git repository: a path or a ``file://`` URL (any other URL
  - ``https://github.com/...`` - stays bookkeeping: nothing is served, as without
  ``LOCALAWS_APPRUNNER_COMMAND`` for an image).
* ``git archive`` of ``SourceCodeVersion.Value`` (a branch, or a commit) is extracted into a fresh
  directory: only committed files are served; the working tree's uncommitted changes never are.
* The configuration: ``ConfigurationSource=REPOSITORY`` reads ``apprunner.yaml`` (in
  ``SourceDirectory``) of that tree - ``run.command``, ``run.network.port``/``env``, ``run.env``,
  ``run.secrets``; ``API`` uses ``CodeConfigurationValues`` (``StartCommand``,
  ``RuntimeEnvironmentVariables``, ``RuntimeEnvironmentSecrets``).
* The managed Python runtime is the endpoint's own interpreter (``LOCALAWS_APPRUNNER_PYTHON``,
  default the one running the endpoint): a start command whose first word is ``python``/``python3``
  runs under it. The build commands are not run (they install packages from PyPI, which these
  machines do not reach): the interpreter's installed packages stand in for the build's.
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from tools.localaws.compute import utils

PYTHON_ENV = "LOCALAWS_APPRUNNER_PYTHON"
CONFIG_FILE = "apprunner.yaml"


class SourceError(Exception):
    """The repository, its version or its apprunner.yaml cannot be served (message says why)."""


@dataclass
class CodeBuild:
    """What a built CodeRepository revision runs: directory, start command, env, secrets, port variable."""

    directory: Path
    command: str
    variables: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # name -> ARN / reference
    port_variable: str | None = None


def local_repository(url: str) -> Path | None:
    """The local git repository a RepositoryUrl names (a path or file:// URL), else None."""
    if url.startswith("file://"):
        path = Path(unquote(urlsplit(url).path))
    elif url.startswith("/"):
        path = Path(url)
    else:
        return None
    return path if path.is_dir() else None


def python_command(command: str) -> str:
    """``command`` with a leading python/python3 replaced by the managed runtime's stand-in."""
    words = shlex.split(command)
    if words and words[0] in ("python", "python3", "python3.11", "python3.12"):
        words[0] = os.environ.get(PYTHON_ENV) or sys.executable
    return shlex.join(words)


def archive(repository: Path, version: str, target: Path) -> str:
    """Extract the committed tree of ``version`` into ``target`` (emptied first); returns the commit."""
    try:
        # git from PATH, no shell: the repository and version are arguments, never parsed by a shell.
        commit = subprocess.run(  # noqa: S603
            ["git", "-C", str(repository), "rev-parse", "--verify", f"{version}^{{commit}}"],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        data = subprocess.run(  # noqa: S603
            ["git", "-C", str(repository), "archive", "--format=tar", commit],  # noqa: S607
            check=True,
            capture_output=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        message = (exc.stderr or b"").decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise SourceError(f"SourceCodeVersion {version!r} of {repository}: {message.strip() or exc}") from exc
    # A fresh directory: a label is used again after /moto-api/reset (the launch count starts over),
    # and files of an older commit left in it would be served.
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(target, filter="data")
    return commit


def _repository_config(directory: Path) -> CodeBuild:
    path = directory / CONFIG_FILE
    if not path.is_file():
        raise SourceError(f"ConfigurationSource REPOSITORY but the source has no {CONFIG_FILE}")
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SourceError(f"{CONFIG_FILE}: not YAML ({exc})") from exc
    run: dict[str, Any] = config.get("run") or {}
    if str(config.get("version")) != "1.0" or not run.get("command"):
        raise SourceError(f"{CONFIG_FILE}: needs version 1.0 and run.command")
    network = run.get("network") or {}
    return CodeBuild(
        directory=directory,
        command=str(run["command"]),
        variables={str(e["name"]): str(e["value"]) for e in run.get("env") or []},
        secrets={str(s["name"]): str(s["value-from"]) for s in run.get("secrets") or []},
        port_variable=network.get("env"),
    )


def build(code: dict[str, Any], label: str) -> CodeBuild | None:
    """The served build of a CodeRepository source configuration; None when its repository is not local."""
    repository = local_repository(code["RepositoryUrl"])
    if repository is None:
        return None
    target = utils.log_dir("LOCALAWS_APPRUNNER_LOG_DIR", "localaws-apprunner-") / f"{label}-source"
    archive(repository, code["SourceCodeVersion"]["Value"], target)
    directory = target / str(code.get("SourceDirectory") or "").strip("/")
    configuration = code.get("CodeConfiguration") or {}
    if configuration.get("ConfigurationSource") == "REPOSITORY":
        built = _repository_config(directory)
    else:
        values = configuration.get("CodeConfigurationValues") or {}
        if not values.get("StartCommand"):
            raise SourceError("CodeConfigurationValues.StartCommand is needed to serve the code locally")
        built = CodeBuild(
            directory=directory,
            command=values["StartCommand"],
            variables=dict(values.get("RuntimeEnvironmentVariables") or {}),
            secrets=dict(values.get("RuntimeEnvironmentSecrets") or {}),
        )
    built.command = python_command(built.command)
    return built
