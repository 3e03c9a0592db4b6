"""roles/deploy and tools/fakedocker: build from a clean tree, push to ECR, move the service."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.helpers import require_in_process_endpoint
from tests.playbooks.helpers import OUTPUTS_DIR_ENV, ROOT, run_playbook
from tests.playbooks.stack_helpers import converge, mutating, noop_calls

pytestmark = pytest.mark.slow
DOCKER = str(ROOT / "tools" / "fakedocker" / "docker")
# The fixture's API: reports APP_BUILD_ID (the image's version) at /api/health; "crash" exits at
# start, "wrong-build" serves but reports another build (fails the deploy's smoke test).
SERVER = """import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
MODE, CODE = {mode!r}, {code!r}
class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        build = os.environ.get("APP_BUILD_ID", "") if MODE == "ok" else "someone-else"
        body = json.dumps({{"build": build, "code": CODE}}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
if MODE == "crash":
    sys.exit("boom: cannot reach the database")
print("serving", CODE, flush=True)
HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "app").mkdir(parents=True)
    (src / "Dockerfile").write_text(
        "FROM python:3.12-slim\nARG APP_BUILD_ID\nENV APP_BUILD_ID=$APP_BUILD_ID\nCOPY app /app\n"
    )
    (src / ".dockerignore").write_text("*\n!app/\n")
    (src / "app" / "main.py").write_text(SERVER.format(mode="ok", code="v1"))
    (src / "inventory.yml").write_text("service_max_size: 2\n")  # outside the build context
    git(src, "init", "-q")
    git(src, "add", "-A")
    git(src, "commit", "-qm", "init")
    return src


@pytest.fixture
def fakedocker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "fakedocker"
    monkeypatch.setenv("FAKEDOCKER_STATE_DIR", str(state))
    return state


def get_health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/api/health", timeout=5) as response:
        return dict(json.loads(response.read()))


def test_deploy_builds_pushes_and_moves_the_service(
    localaws: str, source: Path, fakedocker: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    require_in_process_endpoint()
    # The local App Runner backend runs the image's app/main.py (the image's code, not the tree's).
    monkeypatch.setenv("LOCALAWS_APPRUNNER_COMMAND", shlex.join([sys.executable, "app/main.py", "$PORT"]))
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path / "apprunner"))
    deploy = {"deploy_context": str(source), "deploy_smoke_delay": 1}
    first = converge("playbooks/deploy.yml", extra_vars=deploy)
    commit = git(source, "rev-parse", "--short=12", "HEAD")
    outputs = first.task("Publish the deploy outputs")["ansible_facts"]["platform_outputs_deploy"]
    # The tag is the content version of the build context (16 hex digits), the commit a label.
    tag = outputs["image_uri"].rsplit(":", 1)[1]
    assert outputs["image_uri"] == f"{REGISTRY}/invoice-local-api:{tag}"
    assert len(tag) == 16 and tag != commit[:16] and outputs["commit"] == commit
    images = boto3.client("ecr").describe_images(repositoryName="invoice-local-api")["imageDetails"]
    assert [(i["imageTags"], i["imageDigest"]) for i in images] == [([tag], outputs["image_digest"])]
    built = json.loads((fakedocker / "images.json").read_text())[outputs["image_uri"]]
    assert built["labels"]["org.opencontainers.image.revision"] == commit
    config = json.loads((Path(built["home"]) / "config.json").read_text())
    assert f"APP_BUILD_ID={tag}" in config["Env"], "the API reports the version in /api/health"
    service = converge(
        "playbooks/service.yml",
        extra_vars={"service_egress": "default", "service_secrets": {}, "service_domain": "", "service_image_tag": tag},
    )
    url = service.task("Publish the service outputs")["ansible_facts"]["platform_outputs_service"]["service_url"]
    assert get_health(url) == {"build": tag, "code": "v1"}, "the new service starts from the pushed build"

    # A code change: built, pushed, deployed, smoke-tested; the same URL serves it.
    (source / "app" / "main.py").write_text(SERVER.format(mode="ok", code="v2"))
    git(source, "commit", "-qam", "v2")
    run = converge("playbooks/deploy.yml", extra_vars=deploy)
    tag2 = run.task("Settle the image reference")["ansible_facts"]["__deploy_tag"]
    assert run.task("Smoke-test the release (GET /api/health answers 200 with the deployed version)")["json"] == {
        "build": tag2,
        "code": "v2",
    }
    assert get_health(url) == {"build": tag2, "code": "v2"}
    report = run.task("Report the release")["msg"]
    assert f"moved from {REGISTRY}/invoice-local-api:{tag} to" in report and f"version {tag2} at {url}" in report
    written = json.loads((Path(os.environ[OUTPUTS_DIR_ENV]) / "local.json").read_text())["deploy"]
    assert (written["service_url"], written["version"]) == (url, tag2), "outputs/<env>.json says where and what"
    client = boto3.client("apprunner")
    arn = client.list_services()["ServiceSummaryList"][0]["ServiceArn"]
    described = client.describe_service(ServiceArn=arn)["Service"]
    assert described["SourceConfiguration"]["ImageRepository"]["ImageIdentifier"].endswith(f":{tag2}")
    assert described["Status"] == "RUNNING"

    log = [json.loads(line) for line in (fakedocker / "calls.log").read_text().splitlines()]
    assert [entry["argv"][0] for entry in log] == ["login", "build", "push"] * 2
    assert "--password-stdin" in log[0]["argv"]
    token = boto3.client("ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    assert token not in (fakedocker / "calls.log").read_text()
    assert token not in run.stdout

    # An inventory-only commit, and an uncommitted edit outside the build context: same version,
    # no build, no push, no redeploy.
    (source / "inventory.yml").write_text("service_max_size: 3\n")
    git(source, "commit", "-qam", "inventory only")
    (source / "inventory.yml").write_text("service_max_size: 4\n")
    again, calls = noop_calls(localaws, "playbooks/deploy.yml", extra_vars=deploy)
    assert again.changed == 0, again.changed_tasks()
    assert mutating(calls) == []
    assert len((fakedocker / "calls.log").read_text().splitlines()) == 6, "no third build or push"
    assert f"nothing changed: version {tag2} already serves at {url}" in again.task("Report the release")["msg"]

    # A plan of an uncommitted code edit succeeds and says which tag it would build; nothing runs.
    (source / "app" / "main.py").write_text(SERVER.format(mode="ok", code="v3"))
    plan, calls = noop_calls(localaws, "playbooks/deploy.yml", extra_vars=deploy, check=True)
    next_tag = plan.task("Settle the image reference")["ansible_facts"]["__deploy_tag"]
    assert next_tag.endswith("-dirty") and not next_tag.startswith(tag2)
    assert next_tag in plan.task("Say what the plan would build from a dirty build context")["msg"]
    assert mutating(calls) == []
    assert len((fakedocker / "calls.log").read_text().splitlines()) == 6, "check mode runs no docker command"

    # A revision that cannot start, and one that starts but fails the smoke test: each rolled back,
    # the play fails naming the cause with the application log's last lines (CloudWatch Logs),
    # and the previous code keeps serving on the same URL.
    # (The wrong build answers at once: two retries of the smoke test, not ten, prove it fails.)
    for mode, cause, log_line, retries in (
        ("crash", "was rolled back", "boom: cannot reach the database", 10),
        ("wrong-build", "Smoke-test the release", "serving v4", 2),
    ):
        (source / "app" / "main.py").write_text(SERVER.format(mode=mode, code="v4"))
        git(source, "commit", "-qam", mode)
        failed = run_playbook("playbooks/deploy.yml", extra_vars={**deploy, "deploy_smoke_retries": retries})
        assert failed.rc != 0
        (message,) = [m for m in failed.failure_messages() if "failed and was rolled back" in m]
        assert cause in message and log_line in message and "/aws/apprunner/invoice-local-api/" in message, message
        assert get_health(url) == {"build": tag2, "code": "v2"}
        current = client.describe_service(ServiceArn=arn)["Service"]
        assert current["SourceConfiguration"]["ImageRepository"]["ImageIdentifier"].endswith(f":{tag2}")

    # rollback.yml: back to the release before (v1, which the service ran before the first recorded
    # deploy), no build, smoke-tested, recorded.
    back = converge("playbooks/rollback.yml", extra_vars={"deploy_smoke_delay": 1})
    assert back.task("Smoke-test the release (GET /api/health answers 200 with the deployed version)")["json"] == {
        "build": tag,
        "code": "v1",
    }
    assert get_health(url) == {"build": tag, "code": "v1"}
    assert len((fakedocker / "calls.log").read_text().splitlines()) == 12, "no build for a rollback"
    history = json.loads(boto3.client("ssm").get_parameter(Name="/invoice/local/deploy/history")["Parameter"]["Value"])
    assert [(h["version"], h["action"], h["result"]) for h in history] == [
        (tag, "rollback", "succeeded"),
        (history[1]["version"], "deploy", "failed"),
        (history[2]["version"], "deploy", "failed"),
        (tag2, "deploy", "succeeded"),
        (tag, "found running", "succeeded"),
    ]
    assert history[3]["commit"] and history[3]["digest"].startswith("sha256:") and history[3]["time"]


def test_dirty_tree_is_refused(localaws: str, source: Path, fakedocker: Path) -> None:
    (source / "app" / "main.py").write_text("print('changed')\n")
    run = run_playbook("playbooks/deploy.yml", extra_vars={"deploy_context": str(source)})
    assert run.rc != 0
    assert any(
        "uncommitted change(s)" in m and "M app/main.py" in m and "deploy_allow_dirty" in m
        for m in run.failure_messages()
    )
    assert not (fakedocker / "calls.log").exists()
    allowed = converge(
        "playbooks/deploy.yml",
        extra_vars={"deploy_context": str(source), "deploy_allow_dirty": True, "deploy_update_service": False},
    )
    assert allowed.task("Settle the image reference")["ansible_facts"]["__deploy_tag"].endswith("-dirty")


def test_a_pinned_tag_already_pushed_is_a_no_op_when_the_checkout_moves(
    localaws: str, source: Path, fakedocker: Path, tmp_path: Path
) -> None:
    # A pinned deploy_image_tag names the image, not the checkout: once pushed, a later commit in
    # the tree neither rebuilds it nor rewrites the outputs report (the commit of the run is
    # printed, not written: it moves without any change of the stack).
    pinned = {
        "deploy_context": str(source),
        "deploy_image_tag": "pinned",
        "deploy_update_service": False,
        "platform_outputs_dir": str(tmp_path / "outputs"),
    }
    first = converge("playbooks/deploy.yml", extra_vars=pinned)
    assert first.task("Publish the deploy outputs")["ansible_facts"]["platform_outputs_deploy"]["commit"]
    written = (tmp_path / "outputs" / "local.json").read_text()
    assert "commit" not in json.loads(written)["deploy"]
    (source / "app" / "main.py").write_text("print('next')\n")
    git(source, "commit", "-qam", "next")
    again, calls = noop_calls(localaws, "playbooks/deploy.yml", extra_vars=pinned)
    assert again.changed == 0, again.changed_tasks()
    assert mutating(calls) == []
    assert (tmp_path / "outputs" / "local.json").read_text() == written


def test_fakedocker_refuses_password_argument_and_missing_context(tmp_path: Path, fakedocker: Path) -> None:
    bad = subprocess.run(
        [DOCKER, "login", "-u", "AWS", "-p", "hunter2", REGISTRY], check=False, capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert "--password-stdin" in bad.stderr
    missing = subprocess.run(
        [DOCKER, "build", "-t", "x:1", str(tmp_path / "nope")], check=False, capture_output=True, text=True
    )
    assert missing.returncode == 1
    assert "not found" in missing.stderr
    no_dockerfile = subprocess.run(
        [DOCKER, "build", "-t", "x:1", str(tmp_path)], check=False, capture_output=True, text=True
    )
    assert no_dockerfile.returncode == 1
    assert "Dockerfile" in no_dockerfile.stderr
    text = (fakedocker / "calls.log").read_text()
    assert "hunter2" not in text
    assert '"-p", "***"' in text


# deploy_source code: the repository's apprunner.yaml (App Runner builds the branch itself).
CODE_APPRUNNER_YAML = """version: 1.0
runtime: python311
build:
  commands:
    build: [pip3 install -r requirements.txt]
run:
  command: python3 app/serve.py
  network: {port: 8000, env: PORT}
  env: [{name: APP_ENV, value: production}]
"""


def test_deploy_from_the_repository_waits_for_the_handshake_then_serves_the_branch(
    localaws: str, source: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import time

    from tools.localaws.client import calls, complete_handshake, reset_calls

    require_in_process_endpoint()
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path / "apprunner"))
    serve = SERVER.replace("int(sys.argv[1])", 'int(os.environ["PORT"])')
    (source / "app" / "serve.py").write_text(serve.format(mode="ok", code="v1"))
    (source / "apprunner.yaml").write_text(CODE_APPRUNNER_YAML)
    git(source, "add", "-A")
    git(source, "commit", "-qm", "code source")
    deploy = {
        "deploy_source": "code",
        "deploy_code_repository_url": str(source),
        "deploy_code_branch": git(source, "branch", "--show-current"),
        "deploy_context": str(source),
        "deploy_smoke_delay": 1,
        "service_egress": "default",
        "service_secrets": {},
        "service_domain": "",
    }
    connection = "invoice-local-repository"

    # A plan on a fresh account: says where the apply will stop; writes nothing.
    plan, log = noop_calls(localaws, "playbooks/deploy.yml", extra_vars=deploy, check=True)
    assert mutating(log) == []
    assert f"connection {connection} is PENDING_HANDSHAKE" in plan.task("Say what the plan stops at")["msg"]

    # The first apply creates the connection and stops, naming the one-time handshake.
    reset_calls(localaws)
    started = time.monotonic()
    stopped = run_playbook("playbooks/deploy.yml", extra_vars=deploy)
    timings = {"stops at the handshake": time.monotonic() - started}
    assert stopped.rc != 0
    (message,) = [m for m in stopped.failure_messages() if "one-time handshake" in m]
    assert f"App Runner console -> Connections -> {connection} -> Complete handshake" in message
    assert ":connection/invoice-local-repository/" in message and "Nothing else was created" in message
    assert mutating(calls(localaws)) == ["apprunner.CreateConnection"], "nothing but the connection"

    complete_handshake(localaws, connection)
    # An uncommitted edit is never served: App Runner (here: git archive) builds the branch's commit.
    (source / "app" / "serve.py").write_text(serve.format(mode="ok", code="uncommitted"))
    commit = git(source, "rev-parse", "--short=12", "HEAD")
    started = time.monotonic()
    first = converge("playbooks/deploy.yml", extra_vars=deploy)
    timings["first deploy"] = time.monotonic() - started
    outputs = first.task("Publish the deploy outputs")["ansible_facts"]["platform_outputs_deploy"]
    url = outputs["service_url"]
    assert (outputs["version"], outputs["commit"], outputs["service_status"]) == (commit, commit, "RUNNING")
    assert get_health(url) == {"build": commit, "code": "v1"}
    written = json.loads((Path(os.environ[OUTPUTS_DIR_ENV]) / "local.json").read_text())["deploy"]
    assert (written["service_url"], written["version"]) == (url, commit)
    client = boto3.client("apprunner")
    described = client.describe_service(ServiceArn=client.list_services()["ServiceSummaryList"][0]["ServiceArn"])
    code = described["Service"]["SourceConfiguration"]["CodeRepository"]
    assert (code["RepositoryUrl"], code["SourceCodeVersion"]["Value"]) == (str(source), deploy["deploy_code_branch"])
    values = code["CodeConfiguration"]["CodeConfigurationValues"]
    assert (values["Runtime"], values["StartCommand"], values["Port"]) == ("PYTHON_311", "python3 app/serve.py", "8000")
    assert values["RuntimeEnvironmentVariables"]["APP_BUILD_ID"] == commit
    assert values["RuntimeEnvironmentVariables"]["APP_ENV"] == "development", "the environment's value wins"
    assert described["Service"]["HealthCheckConfiguration"]["Path"] == "/api/health"
    history = json.loads(boto3.client("ssm").get_parameter(Name="/invoice/local/deploy/history")["Parameter"]["Value"])
    assert [(r["version"], r["commit"], r["result"]) for r in history] == [(commit, commit, "succeeded")]

    # Same commit: nothing changes, no mutating call.
    started = time.monotonic()
    again, log = noop_calls(localaws, "playbooks/deploy.yml", extra_vars=deploy)
    timings["unchanged"] = time.monotonic() - started
    assert again.changed == 0, again.changed_tasks()
    assert mutating(log) == []

    # A new commit on the branch: built and served on the same URL.
    (source / "app" / "serve.py").write_text(serve.format(mode="ok", code="v2"))
    git(source, "commit", "-qam", "v2")
    commit2 = git(source, "rev-parse", "--short=12", "HEAD")
    # Its plan shows the service changing (to the new commit's APP_BUILD_ID) and writes nothing.
    plan, log = noop_calls(localaws, "playbooks/deploy.yml", extra_vars=deploy, check=True, diff=True)
    assert mutating(log) == []
    assert plan.changed_tasks() == ["invoice.platform.service : Converge the service", "Write the outputs file"]
    assert commit2 in json.dumps(plan.task("invoice.platform.service : Converge the service")["diff"])
    assert get_health(url) == {"build": commit, "code": "v1"}
    started = time.monotonic()
    converge("playbooks/deploy.yml", extra_vars=deploy)
    timings["changed"] = time.monotonic() - started
    assert get_health(url) == {"build": commit2, "code": "v2"}
    print("deploy_source code timings (s):", {k: round(v, 1) for k, v in timings.items()})
