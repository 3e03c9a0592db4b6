"""LOCALAWS_APPRUNNER_COMMAND: services served by a local process on 127.0.0.1."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import reset_localaws
from tests.helpers import require_in_process_endpoint
from tests.localaws.conftest import PRIVATE_IMAGE, wait_until_settled

APP = Path(__file__).with_name("echo_env_app.py")
NAMES = ["APP_ENV", "DB_PASSWORD", "PORT", "AWS_ENDPOINT_URL", "RELEASE"]


def fetch(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{url}/", timeout=5) as response:
        return dict(json.loads(response.read()))


def refused(url: str) -> bool:
    try:
        fetch(url)
    except OSError:
        return True
    return False


def serve_with(monkeypatch: pytest.MonkeyPatch, log_dir: Path, *argv: str) -> None:
    """Make the in-process endpoint serve image services with ``argv`` (LOCALAWS_APPRUNNER_COMMAND)."""
    require_in_process_endpoint()
    monkeypatch.setenv("LOCALAWS_APPRUNNER_COMMAND", shlex.join([sys.executable, *argv]))
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(log_dir))


@pytest.fixture
def serving(localaws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    serve_with(monkeypatch, tmp_path, str(APP), "$PORT", *NAMES)
    return localaws


def source(release: str, secret_arn: str) -> dict[str, Any]:
    image = PRIVATE_IMAGE["ImageRepository"]
    return {
        **PRIVATE_IMAGE,
        "ImageRepository": {
            **image,
            "ImageConfiguration": {
                "Port": "8000",
                "RuntimeEnvironmentVariables": {"APP_ENV": "test", "RELEASE": release},
                "RuntimeEnvironmentSecrets": {"DB_PASSWORD": secret_arn},
            },
        },
    }


def test_service_is_served_by_a_local_process(serving: str, apprunner: Any) -> None:
    parameter = "/invoice/test/db-password"
    boto3.client("ssm").put_parameter(Name=parameter, Value="local-only-password", Type="SecureString")
    secret_arn = f"arn:aws:ssm:us-east-1:123456789012:parameter{parameter}"

    service = apprunner.create_service(ServiceName="served-api", SourceConfiguration=source("1", secret_arn))["Service"]
    arn, first_url = service["ServiceArn"], service["ServiceUrl"]
    assert first_url.startswith("127.0.0.1:")
    assert wait_until_settled(apprunner, arn)["Status"] == "RUNNING"
    env = fetch(first_url)
    first_port = env.pop("PORT")
    assert env == {
        "APP_ENV": "test",
        "DB_PASSWORD": "local-only-password",
        "AWS_ENDPOINT_URL": serving,
        "RELEASE": "1",
    }

    # A new revision starts beside the old one and replaces it once it answers, on the same URL.
    apprunner.update_service(ServiceArn=arn, SourceConfiguration=source("2", secret_arn))
    updated = wait_until_settled(apprunner, arn)
    assert updated["Status"] == "RUNNING"
    assert updated["ServiceUrl"] == first_url
    assert fetch(updated["ServiceUrl"])["RELEASE"] == "2"
    assert refused(f"127.0.0.1:{first_port}"), "the old process is stopped"

    apprunner.pause_service(ServiceArn=arn)
    assert refused(updated["ServiceUrl"])
    assert wait_until_settled(apprunner, arn)["Status"] == "PAUSED"
    apprunner.resume_service(ServiceArn=arn)
    resumed = wait_until_settled(apprunner, arn)
    assert fetch(resumed["ServiceUrl"])["RELEASE"] == "2"

    reset_localaws(serving)  # /moto-api/reset stops the children too
    assert refused(resumed["ServiceUrl"])


def test_secrets_manager_json_key_reference_is_resolved(serving: str, apprunner: Any) -> None:
    """The form App Runner documents (and apprunner_service writes): <secret ARN>:<json-key>::."""
    secret = boto3.client("secretsmanager").create_secret(
        Name="invoice-test-database-master", SecretString=json.dumps({"username": "invoice", "password": "from-json"})
    )
    service = apprunner.create_service(
        ServiceName="json-key-api", SourceConfiguration=source("1", f"{secret['ARN']}:password::")
    )["Service"]
    assert wait_until_settled(apprunner, service["ServiceArn"])["Status"] == "RUNNING"
    assert fetch(service["ServiceUrl"])["DB_PASSWORD"] == "from-json"

    with pytest.raises(apprunner.exceptions.InvalidRequestException) as exc:
        apprunner.create_service(ServiceName="no-key-api", SourceConfiguration=source("1", f"{secret['ARN']}:nope::"))
    assert "DB_PASSWORD" in str(exc.value)


def test_unresolvable_secret_is_refused(serving: str, apprunner: Any) -> None:
    from botocore.exceptions import ClientError

    missing = "arn:aws:ssm:us-east-1:123456789012:parameter/invoice/test/missing"
    with pytest.raises(ClientError) as exc:
        apprunner.create_service(ServiceName="no-secret", SourceConfiguration=source("1", missing))
    assert exc.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "DB_PASSWORD" in exc.value.response["Error"]["Message"]
    assert apprunner.list_services()["ServiceSummaryList"] == []


def test_process_that_exits_fails_the_create(
    localaws: str, apprunner: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serve_with(monkeypatch, tmp_path, "-c", "raise SystemExit(3)")
    arn = apprunner.create_service(ServiceName="crashing-api", SourceConfiguration=PRIVATE_IMAGE)["Service"][
        "ServiceArn"
    ]
    assert wait_until_settled(apprunner, arn)["Status"] == "CREATE_FAILED"
    operation = apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"][0]
    assert (operation["Type"], operation["Status"]) == ("CREATE_SERVICE", "FAILED")
    with pytest.raises(Exception, match="InvalidStateException"):
        apprunner.start_deployment(ServiceArn=arn)
    apprunner.delete_service(ServiceArn=arn)


def test_custom_domain_target_is_stable_across_deployments(serving: str, apprunner: Any) -> None:
    parameter = "/invoice/test/db-password"
    boto3.client("ssm").put_parameter(Name=parameter, Value="local-only-password", Type="SecureString")
    secret_arn = f"arn:aws:ssm:us-east-1:123456789012:parameter{parameter}"
    arn = apprunner.create_service(ServiceName="domain-api", SourceConfiguration=source("1", secret_arn))["Service"][
        "ServiceArn"
    ]
    wait_until_settled(apprunner, arn)
    target = apprunner.associate_custom_domain(ServiceArn=arn, DomainName="api.example.test")["DNSTarget"]
    assert target.endswith(".us-east-1.awsapprunner.com")
    apprunner.update_service(ServiceArn=arn, SourceConfiguration=source("2", secret_arn))
    moved = wait_until_settled(apprunner, arn)
    assert moved["ServiceUrl"].startswith("127.0.0.1:")
    assert apprunner.describe_custom_domains(ServiceArn=arn)["DNSTarget"] == target


RELEASE_APP = """import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
RELEASE = {release!r}
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({{"release": RELEASE, "image_env": os.environ.get("IMAGE_ENV")}}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
print("release", RELEASE, "starting", flush=True)
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""
REPO_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/served"


def _build_and_push(context: Path, release: str) -> str:
    """tools/fakedocker builds ``context`` with release ``release`` of the app and pushes it to the local ECR."""
    (context / "src").mkdir(parents=True, exist_ok=True)
    (context / "src" / "server.py").write_text(RELEASE_APP.format(release=release))
    (context / "Dockerfile").write_text("FROM python:3.12-slim\nWORKDIR /srv\nCOPY src/ ./\nENV IMAGE_ENV=baked\n")
    (context / "notes.txt").write_text("not copied")
    docker = [str(Path(__file__).parents[2] / "tools" / "fakedocker" / "docker")]
    ref = f"{REPO_URI}:{release}"
    subprocess.run(
        [*docker, "login", "-u", "AWS", "--password-stdin", ref.split("/", maxsplit=1)[0]],
        input="x",
        text=True,
        check=True,
        capture_output=True,
    )
    subprocess.run([*docker, "build", "-q", "-t", ref, str(context)], check=True, capture_output=True)
    subprocess.run([*docker, "push", ref], check=True, capture_output=True)
    return ref


def test_a_service_serves_the_code_of_the_image_it_points_to(
    localaws: str, apprunner: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serve_with(monkeypatch, tmp_path / "logs", "server.py", "$PORT")
    monkeypatch.setenv("FAKEDOCKER_STATE_DIR", str(tmp_path / "docker"))
    boto3.client("ecr").create_repository(repositoryName="served")
    one, two = _build_and_push(tmp_path / "ctx", "one"), _build_and_push(tmp_path / "ctx", "two")
    # The context in the tree now holds release three, never built: what runs is the image's copy.
    (tmp_path / "ctx" / "src" / "server.py").write_text(RELEASE_APP.format(release="three"))

    def point_at(ref: str) -> dict[str, Any]:
        return {**PRIVATE_IMAGE, "ImageRepository": {**PRIVATE_IMAGE["ImageRepository"], "ImageIdentifier": ref}}

    service = apprunner.create_service(ServiceName="imaged", SourceConfiguration=point_at(one))["Service"]
    arn, url = service["ServiceArn"], service["ServiceUrl"]
    assert wait_until_settled(apprunner, arn)["Status"] == "RUNNING"
    assert fetch(url) == {"release": "one", "image_env": "baked"}
    served = []
    for ref in (two, one):  # forward, then back to the older image: its code comes back, on the same URL
        apprunner.update_service(ServiceArn=arn, SourceConfiguration=point_at(ref))
        settled = wait_until_settled(apprunner, arn)
        assert settled["ServiceUrl"] == url
        served.append(fetch(url)["release"])
    assert served == ["two", "one"]
    rootfs = sorted(p.name for p in (tmp_path / "docker" / "images").glob("*/rootfs/srv/*"))
    assert rootfs == ["server.py", "server.py"], "only what the Dockerfile copies is in the image"

    # The instances' output is in CloudWatch Logs where App Runner writes it.
    logs = boto3.client("logs")
    group = f"/aws/apprunner/imaged/{arn.rsplit('/', 1)[1]}/application"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 3 and all(s["logStreamName"].startswith("instance/") for s in streams)
    messages = [
        e["message"]
        for s in streams
        for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]
    ]
    assert sorted(messages) == ["release one starting", "release one starting", "release two starting"]


# A code-source service's application: answers with its code's release and two variables.
CODE_APP = """import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer
RELEASE = {release!r}
class Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({{"release": RELEASE, "greeting": os.environ.get("GREETING"),
                           "secret": os.environ.get("TOKEN")}}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Echo).serve_forever()
"""
APPRUNNER_YAML = """version: 1.0
runtime: python311
build:
  commands:
    build: [pip3 install -r requirements.txt]
run:
  command: python3 app.py
  network: {port: 8000, env: PORT}
  env: [{name: GREETING, value: from-apprunner-yaml}]
  secrets: [{name: TOKEN, value-from: "arn:aws:ssm:us-east-1:123456789012:parameter/code/token"}]
"""


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


def code_source(repo: Path, connection_arn: str, **configuration: Any) -> dict[str, Any]:
    return {
        "CodeRepository": {
            "RepositoryUrl": f"file://{repo}",
            "SourceCodeVersion": {"Type": "BRANCH", "Value": "main"},
            "CodeConfiguration": configuration or {"ConfigurationSource": "REPOSITORY"},
        },
        "AuthenticationConfiguration": {"ConnectionArn": connection_arn},
    }


def test_code_service_needs_the_handshake_and_serves_the_committed_tree(
    localaws: str, apprunner: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tools.localaws import client as control

    require_in_process_endpoint()
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path / "logs"))
    boto3.client("ssm").put_parameter(Name="/code/token", Value="t0ken", Type="SecureString")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text(CODE_APP.format(release="v1"))
    (repo / "apprunner.yaml").write_text(APPRUNNER_YAML)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "v1")
    (repo / "app.py").write_text(CODE_APP.format(release="uncommitted"))  # never served

    connection = apprunner.create_connection(ConnectionName="local-repo", ProviderType="GITHUB")["Connection"]
    assert connection["Status"] == "PENDING_HANDSHAKE"
    with pytest.raises(apprunner.exceptions.InvalidRequestException) as exc:
        apprunner.create_service(
            ServiceName="code-api", SourceConfiguration=code_source(repo, connection["ConnectionArn"])
        )
    assert "Connection local-repo is in PENDING_HANDSHAKE status, not AVAILABLE" in str(exc.value)
    unknown = connection["ConnectionArn"].replace("local-repo", "nope")
    with pytest.raises(apprunner.exceptions.InvalidRequestException) as exc:
        apprunner.create_service(ServiceName="code-api", SourceConfiguration=code_source(repo, unknown))
    assert "doesn't exist" in str(exc.value)
    assert apprunner.list_services()["ServiceSummaryList"] == []
    with pytest.raises(control.LocalAWSControlError) as missing:
        control.complete_handshake(localaws, "nope")
    assert "HTTP 404" in str(missing.value)

    assert control.complete_handshake(localaws, "local-repo")["Status"] == "AVAILABLE"
    listed = apprunner.list_connections(ConnectionName="local-repo")["ConnectionSummaryList"]
    assert [c["Status"] for c in listed] == ["AVAILABLE"]
    service = apprunner.create_service(
        ServiceName="code-api", SourceConfiguration=code_source(repo, connection["ConnectionArn"])
    )["Service"]
    arn, url = service["ServiceArn"], service["ServiceUrl"]
    assert wait_until_settled(apprunner, arn)["Status"] == "RUNNING"
    # apprunner.yaml of the commit: its command, env and secrets; the committed app.py, not the edit.
    assert fetch(url) == {"release": "v1", "greeting": "from-apprunner-yaml", "secret": "t0ken"}

    # A new commit on the branch: a deployment builds it; the same URL serves it.
    (repo / "app.py").write_text(CODE_APP.format(release="v2"))
    _git(repo, "commit", "-qam", "v2")
    apprunner.start_deployment(ServiceArn=arn)
    assert wait_until_settled(apprunner, arn)["Status"] == "RUNNING"
    assert fetch(url)["release"] == "v2"

    # ConfigurationSource API: the start command and variables of the request; apprunner.yaml ignored.
    values = {"Runtime": "PYTHON_311", "StartCommand": "python3 app.py", "Port": "8000",
              "RuntimeEnvironmentVariables": {"GREETING": "from-the-api"}}  # fmt: skip
    apprunner.update_service(
        ServiceArn=arn,
        SourceConfiguration=code_source(
            repo, connection["ConnectionArn"], ConfigurationSource="API", CodeConfigurationValues=values
        ),
    )
    assert wait_until_settled(apprunner, arn)["Status"] == "RUNNING"
    assert fetch(url) == {"release": "v2", "greeting": "from-the-api", "secret": None}


def test_a_build_directory_used_again_holds_only_the_new_commit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After /moto-api/reset a service's launch count starts over, so its build label (and
    directory) comes again: a file the newer commit deleted must not be left there to serve."""
    from tools.localaws.apprunner import source as code_build

    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path / "logs"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text(CODE_APP.format(release="v1"))
    (repo / "apprunner.yaml").write_text(APPRUNNER_YAML)
    (repo / "old.html").write_text("v1 only")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "v1")
    code = code_source(repo, "arn:unused")["CodeRepository"]
    first = code_build.build(code, "code-api-1")
    assert first is not None and (first.directory / "old.html").read_text() == "v1 only"
    _git(repo, "rm", "-q", "old.html")
    (repo / "app.py").write_text(CODE_APP.format(release="v2"))
    _git(repo, "commit", "-qam", "v2")
    again = code_build.build(code, "code-api-1")  # the same label, as after a reset
    assert again is not None and again.directory == first.directory
    assert not (again.directory / "old.html").exists()
    assert "RELEASE = 'v2'" in (again.directory / "app.py").read_text()
