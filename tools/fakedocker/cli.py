"""``tools/fakedocker/docker``: a recording stand-in for the docker CLI.

There is no Docker engine on these machines. The deploy role runs the docker CLI through
``deploy_docker_command``; the local inventory points it here. Each invocation:

- is appended to a JSON-lines log (``FAKEDOCKER_LOG``, default ``<state>/calls.log``) with
  its argv, working directory and exit code; secrets are redacted (``-p/--password`` values,
  ``--build-arg`` values whose name looks secret). The password of ``login`` is read from
  stdin and never stored or logged.
- ``login [-u USER] --password-stdin REGISTRY``: needs a non-empty password on stdin;
  ``-p/--password`` on the command line is refused. Remembers the registry (not the password).
- ``build [-t NAME:TAG]... [-f Dockerfile] [--label K=V] [--build-arg K=V] CONTEXT``: checks that
  the context directory and the Dockerfile exist, computes a deterministic image id from
  the Dockerfile and the context's files (``.dockerignore`` honoured, with Docker's rules:
  plugins/module_utils/build_context.py), keeps the image's files under
  ``<state>/images/<image id>/rootfs`` - what the Dockerfile's ``COPY`` instructions copy, with
  its ``ENV``, ``WORKDIR`` and ``CMD`` in ``config.json`` beside it (``image.py``) - and records
  the tags.
- ``push NAME:TAG``: the tag must have been built and its registry logged in; for an ECR
  registry (``ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG``) it registers an image
  manifest with ECR ``PutImage`` through boto3 (so ``AWS_ENDPOINT_URL`` sends it to the
  local endpoint) and prints the digest ECR reports, as docker does. The manifest's first
  layer carries the ``file://`` URL of the image's directory: the local App Runner backend
  runs the code of the image a service points to from there.
- ``tag SOURCE TARGET``, ``version``, ``--version``, ``image inspect NAME:TAG``.

State lives in ``FAKEDOCKER_STATE_DIR`` (default ``.run/fakedocker`` in the repository).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from plugins.module_utils.build_context import layer_digest
from tools.fakedocker import image as image_fs

ROOT = Path(__file__).resolve().parents[2]
VERSION = "27.0.0-fakedocker"
ECR_REF = re.compile(
    r"^(?P<registry>(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com)"
    r"/(?P<repo>[a-z0-9][a-z0-9._/-]*):(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$"
)
REF = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._/:-]*?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?$")
SECRET_NAME = re.compile(r"(?i)(pass|secret|token|key|credential)")
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


class DockerError(Exception):
    """A failure reported the way docker does: message on stderr, exit code 1."""


def state_dir() -> Path:
    path = Path(os.environ.get("FAKEDOCKER_STATE_DIR") or ROOT / ".run" / "fakedocker")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load(name: str) -> dict[str, Any]:
    path = state_dir() / name
    return json.loads(path.read_text()) if path.exists() else {}


def _save(name: str, data: dict[str, Any]) -> None:
    path = state_dir() / name
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    tmp.replace(path)


def redact(argv: list[str]) -> list[str]:
    """argv with passwords and secret-looking build args replaced by ``***``."""
    out: list[str] = []
    hide_next = False
    for i, arg in enumerate(argv):
        if hide_next:
            out.append("***")
            hide_next = False
        elif arg in ("-p", "--password"):
            out.append(arg)
            hide_next = True
        elif arg.startswith("--password="):
            out.append("--password=***")
        elif i > 0 and argv[i - 1] == "--build-arg" and "=" in arg and SECRET_NAME.search(arg.split("=", 1)[0]):
            out.append(arg.split("=", 1)[0] + "=***")
        elif arg.startswith("--build-arg=") and "=" in arg[12:] and SECRET_NAME.search(arg[12:].split("=", 1)[0]):
            out.append("--build-arg=" + arg[12:].split("=", 1)[0] + "=***")
        else:
            out.append(arg)
    return out


def log_call(argv: list[str], rc: int) -> None:
    path = Path(os.environ.get("FAKEDOCKER_LOG") or state_dir() / "calls.log")
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"time": round(time.time(), 3), "argv": redact(argv), "cwd": os.getcwd(), "rc": rc}
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def _take_options(args: list[str], flags: set[str], valued: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Split ``args`` into options (``--x v``, ``--x=v``, ``-t v``) and positionals; unknown options fail."""
    opts: dict[str, list[str]] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and arg != "-":
            name, eq, value = arg.partition("=")
            if name in flags and not eq:
                opts.setdefault(name, []).append("true")
            elif name in valued:
                if not eq:
                    i += 1
                    if i >= len(args):
                        raise DockerError(f'flag needs an argument: "{name}"')
                    value = args[i]
                opts.setdefault(name, []).append(value)
            else:
                raise DockerError(f"unknown flag: {name} (fakedocker supports {sorted(flags | valued)})")
        else:
            positional.append(arg)
        i += 1
    return opts, positional


def _split_kv(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in values:
        key, eq, value = item.partition("=")
        if not key:
            raise DockerError(f"invalid {flag} {item!r}: expected KEY=VALUE")
        out[key] = value if eq else os.environ.get(key, "")
    return out


def cmd_build(args: list[str]) -> int:
    opts, positional = _take_options(
        args,
        flags={"-q", "--quiet", "--pull", "--no-cache"},
        valued={"-t", "--tag", "-f", "--file", "--label", "--build-arg", "--platform", "--target"},
    )
    if len(positional) != 1:
        raise DockerError('"docker build" requires exactly 1 argument (the build context)')
    context = Path(positional[0]).resolve()
    if not context.is_dir():
        raise DockerError(f"unable to prepare context: path {positional[0]!r} not found")
    dockerfile_arg = (opts.get("-f") or opts.get("--file") or ["Dockerfile"])[-1]
    dockerfile = Path(dockerfile_arg) if Path(dockerfile_arg).is_absolute() else context / dockerfile_arg
    if not dockerfile.is_file():
        raise DockerError(f"failed to read dockerfile: open {dockerfile}: no such file or directory")
    if not dockerfile.read_text().strip():
        raise DockerError(f"the Dockerfile ({dockerfile}) cannot be empty")
    layer, count = layer_digest(context, dockerfile)
    labels = _split_kv(opts.get("--label", []), "--label")
    build_args = _split_kv(opts.get("--build-arg", []), "--build-arg")
    config = json.dumps(
        {
            "dockerfile": dockerfile.read_text(),
            "layer": layer,
            "labels": labels,
            # the values only as a hash: a secret build argument must not show in the state files
            "build_args": hashlib.sha256(json.dumps(build_args, sort_keys=True).encode()).hexdigest(),
        },
        sort_keys=True,
    )
    image_id = hashlib.sha256(config.encode()).hexdigest()
    try:
        image_config = image_fs.materialise(
            state_dir(), image_id, context=context, dockerfile=dockerfile, build_args=build_args, labels=labels
        )
    except image_fs.DockerfileError as exc:
        raise DockerError(str(exc)) from exc
    tags = opts.get("-t", []) + opts.get("--tag", [])
    images = _load("images.json")
    for tag in tags:
        ref = _normalise_ref(tag)
        images[ref] = {
            "id": f"sha256:{image_id}",
            "layer": f"sha256:{layer}",
            "config_size": len(config),
            "layer_size": count,
            "labels": labels,
            "context": str(context),
            "dockerfile": str(dockerfile),
            "home": str(state_dir() / "images" / image_id),
            "workdir": image_config["WorkingDir"],
        }
    _save("images.json", images)
    if not opts.get("-q") and not opts.get("--quiet"):
        print(f"Sending build context to fake Docker daemon ({count} files)")
        print(f"Successfully built {image_id[:12]}")
        for tag in tags:
            print(f"Successfully tagged {_normalise_ref(tag)}")
    else:
        print(f"sha256:{image_id}")
    return 0


def _normalise_ref(ref: str) -> str:
    match = REF.match(ref)
    if not match:
        raise DockerError(f'invalid reference format: "{ref}"')
    return ref if match.group("tag") else f"{ref}:latest"


def _registry_of(ref: str) -> str:
    first = ref.split("/", 1)[0]
    return first if "/" in ref and ("." in first or ":" in first or first == "localhost") else "docker.io"


def cmd_login(args: list[str], stdin: str | None) -> int:
    opts, positional = _take_options(args, flags={"--password-stdin"}, valued={"-u", "--username", "-p", "--password"})
    if "-p" in opts or "--password" in opts:
        raise DockerError("refusing a password on the command line (it shows in process lists): use --password-stdin")
    if "--password-stdin" not in opts:
        raise DockerError("fakedocker needs --password-stdin (interactive login is not supported)")
    if not (opts.get("-u") or opts.get("--username")):
        raise DockerError("--password-stdin requires --username")
    password = (stdin if stdin is not None else sys.stdin.read()).strip()
    if not password:
        raise DockerError("Error: Password Required (nothing on stdin)")
    if len(positional) != 1:
        raise DockerError('"docker login" requires exactly 1 argument (the registry)')
    registry = positional[0].removeprefix("https://").rstrip("/")
    logins = _load("logins.json")
    logins[registry] = {"username": (opts.get("-u") or opts.get("--username"))[-1], "time": round(time.time(), 3)}
    _save("logins.json", logins)
    print("Login Succeeded")
    return 0


def cmd_tag(args: list[str]) -> int:
    _, positional = _take_options(args, flags=set(), valued=set())
    if len(positional) != 2:
        raise DockerError('"docker tag" requires exactly 2 arguments')
    images = _load("images.json")
    source = _normalise_ref(positional[0])
    if source not in images:
        raise DockerError(f"No such image: {source}")
    images[_normalise_ref(positional[1])] = images[source]
    _save("images.json", images)
    return 0


def cmd_push(args: list[str]) -> int:
    _, positional = _take_options(args, flags={"-q", "--quiet"}, valued=set())
    if len(positional) != 1:
        raise DockerError('"docker push" requires exactly 1 argument')
    ref = _normalise_ref(positional[0])
    image = _load("images.json").get(ref)
    if image is None:
        raise DockerError(f"An image does not exist locally with the tag: {ref}")
    match = ECR_REF.match(ref)
    if not match:
        raise DockerError(
            f"fakedocker pushes to ECR registries only (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG), got {ref}"
        )
    if match.group("registry") not in _load("logins.json"):
        raise DockerError(f"no basic auth credentials for {match.group('registry')}: run docker login first")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": image["config_size"],
                "digest": image["id"],
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": image["layer_size"],
                    "digest": image["layer"],
                    # Where the image's files are (a foreign layer's URL): the local App Runner
                    # backend serves the image from there.
                    **({"urls": [Path(image["home"]).as_uri()]} if image.get("home") else {}),
                },
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": image["config_size"],
                    "digest": image["id"],
                },
            ],
        },
        sort_keys=True,
    )
    import boto3  # noqa: PLC0415 (only push needs boto3; the other commands start faster)
    from botocore.config import Config  # noqa: PLC0415
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    # docker push retries a throttled registry; so does this, as the playbooks' clients do.
    retries = Config(retries={"mode": "standard", "max_attempts": 10})
    ecr = boto3.client("ecr", region_name=match.group("region"), config=retries)
    try:
        resp = ecr.put_image(
            registryId=match.group("account"),
            repositoryName=match.group("repo"),
            imageManifest=manifest,
            imageManifestMediaType=MANIFEST_TYPE,
            imageTag=match.group("tag"),
        )
        digest = resp["image"]["imageId"]["imageDigest"]
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code != "ImageAlreadyExistsException":
            raise DockerError(f"push to {ref} failed: {code}: {exc.response['Error'].get('Message', '')}") from exc
        found = ecr.batch_get_image(
            registryId=match.group("account"),
            repositoryName=match.group("repo"),
            imageIds=[{"imageTag": match.group("tag")}],
        )
        digest = found["images"][0]["imageId"]["imageDigest"]
    except BotoCoreError as exc:
        raise DockerError(f"push to {ref} failed: {exc}") from exc
    print(f"The push refers to repository [{ref.rsplit(':', 1)[0]}]")
    print(f"{match.group('tag')}: digest: {digest} size: {len(manifest)}")
    return 0


def cmd_image(args: list[str]) -> int:
    if not args or args[0] != "inspect" or len(args) != 2:
        raise DockerError("fakedocker supports only: docker image inspect NAME:TAG")
    ref = _normalise_ref(args[1])
    image = _load("images.json").get(ref)
    if image is None:
        print("[]")
        raise DockerError(f"Error: No such image: {ref}")
    print(json.dumps([{"Id": image["id"], "RepoTags": [ref], "Config": {"Labels": image["labels"]}}], indent=4))
    return 0


def run(argv: list[str], stdin: str | None = None) -> int:
    args = list(argv)
    while args and args[0] in ("--config", "-H", "--host", "--context", "-c", "--log-level", "-l"):
        args = args[2:]
    if not args or args[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, rest = args[0], args[1:]
    if command in ("--version", "-v"):
        print(f"Docker version {VERSION}")
        return 0
    if command == "version":
        print(json.dumps({"Client": {"Version": VERSION}, "Server": {"Version": VERSION, "Fake": True}}))
        return 0
    handlers = {
        "build": lambda: cmd_build(rest),
        "login": lambda: cmd_login(rest, stdin),
        "push": lambda: cmd_push(rest),
        "tag": lambda: cmd_tag(rest),
        "image": lambda: cmd_image(rest),
    }
    if command not in handlers:
        raise DockerError(f"fakedocker: '{command}' is not a supported docker command ({', '.join(sorted(handlers))})")
    return handlers[command]()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        rc = run(argv)
    except DockerError as exc:
        print(f"Error: {exc}" if not str(exc).startswith("Error") else str(exc), file=sys.stderr)
        rc = 1
    log_call(argv, rc)
    return rc


if __name__ == "__main__":
    sys.exit(main())
