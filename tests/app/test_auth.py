"""Auth: login, tokens, roles, rate limits, the CLI, and that every non-public route needs a token."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import jwt
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import SettingsError, load_settings
from tests.app.conftest import PASSWORD, login

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_login_returns_token_with_role_and_8h_expiry(client, users, settings):
    response = client.post("/api/auth/login", json={"email": "Admin@Example.test", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == users["admin"] and body["user"]["role"] == "admin"
    claims = jwt.decode(body["token"], str(settings.jwt_secret), algorithms=["HS256"])
    assert claims["role"] == "admin" and claims["sub"] == body["user"]["id"]
    assert 8 * 3600 - 5 <= claims["exp"] - time.time() <= 8 * 3600


def test_unknown_email_never_logs_in_and_creates_no_user(client, users, sql):
    response = client.post("/api/auth/login", json={"email": "new@example.test", "password": "whatever-password"})
    assert response.status_code == 401
    assert sql("SELECT count(*) AS n FROM users WHERE email = 'new@example.test'")[0]["n"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "x"}, "email"),
        ({"email": "a@example.test"}, "password"),
        ({"email": "not-an-email", "password": "x"}, "email"),
        ({"email": "a@example.test", "password": 5}, "password"),
    ],
)
def test_login_bad_input_names_the_field(client, body, field):
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_login_rejects_non_json(client):
    response = client.post("/api/auth/login", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["field"] == "body"


def test_wrong_password_then_rate_limited_per_account(client, users, settings):
    for _ in range(settings.login_max_attempts_pair):
        assert client.post("/api/auth/login", json={"email": users["viewer"], "password": "wrong"}).status_code == 401
    # even the right password is refused while the account is locked
    response = client.post("/api/auth/login", json={"email": users["viewer"], "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    # other accounts are unaffected
    assert client.post("/api/auth/login", json={"email": users["admin"], "password": PASSWORD}).status_code == 200


def test_rate_limited_per_address(settings, users):
    with TestClient(create_app(settings.with_overrides(login_max_attempts_ip=3))) as client:
        for n in range(3):
            client.post("/api/auth/login", json={"email": f"nobody{n}@example.test", "password": "x"})
        response = client.post("/api/auth/login", json={"email": users["admin"], "password": PASSWORD})
        assert response.status_code == 429


def test_me_and_logout_revokes_token(client, auth, users):
    me = client.get("/api/auth/me", headers=auth["reviewer"])
    assert me.status_code == 200 and me.json()["user"]["email"] == users["reviewer"]
    assert client.post("/api/auth/logout", headers=auth["reviewer"]).json()["message"] == "Logout successful"
    assert client.get("/api/auth/me", headers=auth["reviewer"]).status_code == 401
    assert (
        client.get("/api/auth/me", headers={"Authorization": f"Bearer {login(client, users['reviewer'])}"}).status_code
        == 200
    )


def test_deactivated_user_loses_access(client, auth, users, sql):
    sql("UPDATE users SET is_active = false WHERE email = $1", users["viewer"])
    client.app_state["user_cache"].forget(client.get("/api/auth/me", headers=auth["admin"]).json()["user"]["id"])
    viewer_id = sql("SELECT id FROM users WHERE email = $1", users["viewer"])[0]["id"]
    client.app_state["user_cache"].forget(str(viewer_id))
    assert client.get("/api/vendors", headers=auth["viewer"]).status_code == 401
    response = client.post("/api/auth/login", json={"email": users["viewer"], "password": PASSWORD})
    assert response.status_code == 401 and "deactivated" in response.json()["error"]


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Basic dXNlcjpwYXNz", "Bearer ", "bearer"],
)
def test_bad_tokens_are_refused(client, users, header):
    assert client.get("/api/vendors", headers={"Authorization": header}).status_code == 401


def test_token_signed_with_another_secret_is_refused(client, auth, settings):
    token = auth["admin"]["Authorization"].split()[1]
    claims = jwt.decode(token, str(settings.jwt_secret), algorithms=["HS256"])
    forged = jwt.encode({**claims, "role": "admin"}, "another-secret-" + "y" * 40, algorithm="HS256")
    assert client.get("/api/vendors", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    expired = jwt.encode({**claims, "exp": int(time.time()) - 10}, str(settings.jwt_secret), algorithm="HS256")
    assert client.get("/api/vendors", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_every_route_except_health_login_and_the_openapi_document_needs_a_token(client):
    public = {"/api/health", "/api/auth/login", "/api/openapi.json"}
    checked = 0
    for route in client.app.routes:
        assert isinstance(route, Route)
        path = route.path.replace("{id}", "00000000-0000-0000-0000-000000000000")
        path = path.replace("{vendorId}", "00000000-0000-0000-0000-000000000000").replace(
            "{tempFileId}", "00000000-0000-0000-0000-000000000000"
        )
        for method in route.methods - {"HEAD"}:
            response = client.request(method, path)
            if route.path in public:
                assert response.status_code != 401, (method, path)
            else:
                assert response.status_code == 401, (method, path, response.status_code)
                checked += 1
    assert checked > 50


def test_viewer_cannot_change_anything(client, auth, vendor_id):
    h = auth["viewer"]
    assert client.post("/api/vendors", headers=h, json={"name": "x"}).status_code == 403
    assert client.delete(f"/api/vendors/{vendor_id}", headers=h).status_code == 403
    assert client.post("/api/batches/init", headers=h, json={"vendor_id": vendor_id}).status_code == 403
    assert client.put(f"/api/invoices/{vendor_id}/approve", headers=h).status_code == 403
    # reviewers may not manage vendors either
    assert client.post("/api/vendors", headers=auth["reviewer"], json={"name": "x"}).status_code == 403


def test_production_refuses_to_start_without_jwt_secret():
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings({"APP_ENV": "production", "DATABASE_URL": "postgresql://x@127.0.0.1/db"}, env_file=None)
    ok = load_settings(
        {"APP_ENV": "production", "JWT_SECRET": "s" * 40, "DATABASE_URL": "postgresql://x@h/d"}, env_file=None
    )
    assert ok.production and "s" * 40 not in repr(ok)


def test_settings_from_database_parts_and_bad_values():
    conf = load_settings(
        {"DB_HOST": "127.0.0.1", "DB_NAME": "inv", "DB_USER": "app", "DB_PASSWORD": "p@ss/word"}, env_file=None
    )
    assert str(conf.database_url) == "postgresql://app:p%40ss%2Fword@127.0.0.1:5432/inv"
    with pytest.raises(SettingsError, match="MAX_UPLOAD_BYTES"):
        load_settings({"MAX_UPLOAD_BYTES": "lots"}, env_file=None)
    with pytest.raises(SettingsError, match="FILES_BUCKET"):
        load_settings({"STORAGE_BACKEND": "s3"}, env_file=None)


def _cli(args: list[str], db_url: str, stdin: str = "", extra_env: dict[str, str] | None = None):
    env = {k: v for k, v in os.environ.items() if k != "INVOICE_ADMIN_PASSWORD"}
    env.update({"DATABASE_URL": db_url, "LOG_LEVEL": "WARNING", **(extra_env or {})})
    return subprocess.run(  # noqa: PLW1510 (the tests read returncode)
        [sys.executable, "-m", "app", *args], input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


def test_cli_create_user_reads_password_from_stdin_or_env(db_url, sql, settings):
    done = _cli(
        ["create-user", "--email", "Boss@Example.test", "--role", "admin", "--password-stdin"], db_url, PASSWORD + "\n"
    )
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    row = sql("SELECT role, password_hash FROM users WHERE email = 'boss@example.test'")[0]
    assert row["role"] == "admin" and row["password_hash"].startswith("$argon2id$")
    with TestClient(create_app(settings)) as client:
        login(client, "boss@example.test")
    again = _cli(["create-user", "--email", "boss@example.test", "--password-stdin"], db_url, PASSWORD + "\n")
    assert again.returncode != 0 and "exists" in again.stderr
    env = _cli(
        ["create-user", "--email", "r@example.test", "--role", "reviewer"],
        db_url,
        "",
        {"INVOICE_ADMIN_PASSWORD": PASSWORD},
    )
    assert env.returncode == 0, env.stderr
    short = _cli(["create-user", "--email", "s@example.test", "--password-stdin"], db_url, "short\n")
    assert short.returncode != 0 and "at least" in short.stderr
    bad_role = _cli(
        ["create-user", "--email", "t@example.test", "--role", "root", "--password-stdin"], db_url, PASSWORD
    )
    assert bad_role.returncode != 0 and "--role" in bad_role.stderr
    warned = _cli(["create-user", "--email", "u@example.test", "--password", PASSWORD], db_url)
    assert warned.returncode == 0 and "process list" in warned.stderr


def test_cli_migrate_is_idempotent(db_url):
    done = _cli(["migrate"], db_url)
    assert done.returncode == 0, done.stderr
    assert "applied 0 migration" in done.stdout
