"""Issue 12 (API): /api/users - admin only, audited, passwords never returned or logged."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app.auth import UserCache
from app.logs import JsonFormatter
from tests.app.conftest import PASSWORD, login

NEW_PASSWORD = "a long enough passphrase"


@pytest.fixture
def audit_lines():
    """The JSON lines the app.audit logger writes (the app's own formatter), whatever the level of 'app'."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("app.audit")
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


def _user_id(sql, email):
    return str(sql("SELECT id FROM users WHERE email = $1", email)[0]["id"])


def test_only_admins_manage_users(client, auth, users, sql):
    some_id = _user_id(sql, users["viewer"])
    for role in ("reviewer", "viewer"):
        h = auth[role]
        assert client.get("/api/users", headers=h).status_code == 403
        body = {"email": "x@example.test", "password": NEW_PASSWORD, "role": "viewer"}
        assert client.post("/api/users", headers=h, json=body).status_code == 403
        assert client.patch(f"/api/users/{some_id}", headers=h, json={"active": False}).status_code == 403
    assert sql("SELECT count(*) AS n FROM users WHERE email = 'x@example.test'")[0]["n"] == 0
    assert sql("SELECT is_active FROM users WHERE id = $1", some_id)[0]["is_active"] is True


def test_list_is_paged_and_never_shows_a_password(client, auth, users, sql):
    login(client, users["reviewer"])  # last_login is known for this one only
    response = client.get("/api/users", headers=auth["admin"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert [u["email"] for u in body["users"]] == sorted(users.values())
    assert body["pagination"] == {"page": 1, "limit": 50, "total": 3, "pages": 1}
    first = body["users"][0]
    assert set(first) == {"id", "email", "name", "role", "active", "created_at", "last_login"}
    by_email = {u["email"]: u for u in body["users"]}
    assert by_email[users["reviewer"]]["last_login"] is not None
    assert by_email[users["viewer"]]["last_login"] is None
    assert all(u["active"] is True for u in body["users"])
    assert "password" not in response.text and "argon2" not in response.text
    page = client.get("/api/users?limit=2&page=2", headers=auth["admin"]).json()
    assert [u["email"] for u in page["users"]] == sorted(users.values())[2:]
    assert page["pagination"] == {"page": 2, "limit": 2, "total": 3, "pages": 2}
    bad = client.get("/api/users?limit=101", headers=auth["admin"])
    assert bad.status_code == 400 and bad.json()["field"] == "limit"


def test_create_user_then_they_log_in_and_it_is_audited(client, auth, users, sql, audit_lines):
    body = {"email": "  New.Person@Example.TEST ", "password": NEW_PASSWORD, "role": "reviewer"}
    response = client.post("/api/users", headers=auth["admin"], json=body)
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    assert user["email"] == "new.person@example.test" and user["role"] == "reviewer" and user["active"] is True
    assert user["name"] == "new.person" and user["last_login"] is None
    assert NEW_PASSWORD not in response.text and "password" not in json.dumps(user)
    stored = sql("SELECT password_hash FROM users WHERE id = $1", user["id"])[0]["password_hash"]
    assert stored.startswith("$argon2id$") and NEW_PASSWORD not in stored
    token = login(client, "new.person@example.test", NEW_PASSWORD)
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()["user"]
    assert me["role"] == "reviewer"
    (line,) = audit_lines()
    admin_id = _user_id(sql, users["admin"])
    assert line["logger"] == "app.audit" and line["message"] == "user created"
    assert line["actor_id"] == admin_id and line["actor_email"] == users["admin"]
    assert line["target_id"] == user["id"] and line["target_email"] == "new.person@example.test"
    assert line["changes"] == {"role": "reviewer", "active": True} and line["request_id"]
    assert NEW_PASSWORD not in json.dumps(audit_lines())


def test_a_duplicate_email_is_409_whatever_its_case(client, auth, users, sql, audit_lines):
    body = {"email": users["viewer"].upper(), "password": NEW_PASSWORD, "role": "admin"}
    response = client.post("/api/users", headers=auth["admin"], json=body)
    assert response.status_code == 409 and response.json()["field"] == "email"
    assert sql("SELECT role FROM users WHERE email = $1", users["viewer"])[0]["role"] == "viewer"
    assert audit_lines() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": NEW_PASSWORD, "role": "viewer"}, "email"),
        ({"email": "not-an-email", "password": NEW_PASSWORD, "role": "viewer"}, "email"),
        ({"email": "a@example.test", "role": "viewer"}, "password"),
        ({"email": "a@example.test", "password": "short pass", "role": "viewer"}, "password"),
        ({"email": "a@example.test", "password": " " * 20, "role": "viewer"}, "password"),
        ({"email": "a@example.test", "password": 123456789012345, "role": "viewer"}, "password"),
        ({"email": "a@example.test", "password": NEW_PASSWORD}, "role"),
        ({"email": "a@example.test", "password": NEW_PASSWORD, "role": "owner"}, "role"),
        ({"email": "a@example.test", "password": NEW_PASSWORD, "role": "viewer", "name": "x\x00"}, "name"),
    ],
)
def test_create_validation_names_the_field(client, auth, sql, body, field):
    response = client.post("/api/users", headers=auth["admin"], json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    if "password" in body and isinstance(body["password"], str):
        assert body["password"] not in response.text
    assert sql("SELECT count(*) AS n FROM users WHERE email = 'a@example.test'")[0]["n"] == 0


def test_change_role_then_validation_and_404(client, auth, users, sql, audit_lines):
    viewer_id = _user_id(sql, users["viewer"])
    # a reviewer's route (an export template; this body is refused by its validation, after the role check)
    assert client.post("/api/exports/templates", headers=auth["viewer"], json={}).status_code == 403
    response = client.patch(f"/api/users/{viewer_id}", headers=auth["admin"], json={"role": "reviewer"})
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "reviewer"
    # the role the viewer's existing token carries is not what counts: the database's is
    promoted = client.post("/api/exports/templates", headers=auth["viewer"], json={})
    assert promoted.status_code == 400, promoted.text  # past the role check: a reviewer now
    assert [(line["message"], line["changes"]) for line in audit_lines()] == [("user updated", {"role": "reviewer"})]
    for body, field in (
        ({"role": "owner"}, "role"),
        ({"role": None}, "role"),
        ({"active": "maybe"}, "active"),
        ({"active": None}, "active"),
        ({}, "body"),
        ({"name": "x"}, "body"),
    ):
        response = client.patch(f"/api/users/{viewer_id}", headers=auth["admin"], json=body)
        assert response.status_code == 400 and response.json()["field"] == field, (body, response.text)
    missing = client.patch(
        "/api/users/00000000-0000-0000-0000-000000000000", headers=auth["admin"], json={"active": False}
    )
    assert missing.status_code == 404 and missing.json()["field"] == "id"
    assert sql("SELECT role FROM users WHERE id = $1", viewer_id)[0]["role"] == "reviewer"
    assert len(audit_lines()) == 1


def test_an_admin_cannot_deactivate_or_demote_themselves(client, auth, users, sql, audit_lines):
    admin_id = _user_id(sql, users["admin"])
    for body, field in (
        ({"active": False}, "active"),
        ({"role": "reviewer"}, "role"),
        ({"role": "viewer", "active": True}, "role"),
    ):
        response = client.patch(f"/api/users/{admin_id}", headers=auth["admin"], json=body)
        assert response.status_code == 400 and response.json()["field"] == field, (body, response.text)
    row = sql("SELECT role, is_active FROM users WHERE id = $1", admin_id)[0]
    assert (row["role"], row["is_active"]) == ("admin", True)
    assert client.get("/api/users", headers=auth["admin"]).status_code == 200
    assert audit_lines() == []


def test_deactivation_blocks_login_and_the_existing_token(client, auth, users, sql, audit_lines):
    token = login(client, users["reviewer"])
    reviewer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/vendors", headers=reviewer).status_code == 200  # cached as active on this instance
    reviewer_id = _user_id(sql, users["reviewer"])
    response = client.patch(f"/api/users/{reviewer_id}", headers=auth["admin"], json={"active": False})
    assert response.status_code == 200 and response.json()["user"]["active"] is False
    assert client.get("/api/vendors", headers=reviewer).status_code == 401
    assert client.get("/api/vendors", headers=auth["reviewer"]).status_code == 401
    refused = client.post("/api/auth/login", json={"email": users["reviewer"], "password": PASSWORD})
    assert refused.status_code == 401 and "deactivated" in refused.json()["error"]
    # reactivated: a new login works, the tokens issued before the deactivation stay dead
    again = client.patch(f"/api/users/{reviewer_id}", headers=auth["admin"], json={"active": True})
    assert again.status_code == 200 and again.json()["user"]["active"] is True
    assert client.get("/api/vendors", headers=reviewer).status_code == 401
    fresh = login(client, users["reviewer"])
    assert client.get("/api/vendors", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    assert [line["changes"] for line in audit_lines()] == [{"active": False}, {"active": True}]
    # the same value again changes nothing and audits nothing
    same = client.patch(f"/api/users/{reviewer_id}", headers=auth["admin"], json={"active": True})
    assert same.status_code == 200 and same.json()["message"] == "No change"
    assert len(audit_lines()) == 2


@pytest.fixture
def stale_user_cache(monkeypatch):
    """This instance's user cache keeps what it read first for as long as the test takes. Its
    entries live a few seconds, and a slow run must not turn a test of the check under the row
    locks into a test of the cache's expiry."""
    read_first: dict[str, dict | None] = {}
    fresh_read = UserCache.get

    async def stale(self, database, user_id):
        if user_id not in read_first:
            read_first[user_id] = await fresh_read(self, database, user_id)
        return read_first[user_id]

    monkeypatch.setattr(UserCache, "get", stale)


@pytest.mark.usefixtures("stale_user_cache")
def test_an_admin_demoted_meanwhile_changes_nobody(client, auth, users, sql):
    """The role is checked again under the row locks: an admin demoted a moment ago (their token,
    and this instance's cache, still say admin) cannot demote the last other admin."""
    other = client.post(
        "/api/users",
        headers=auth["admin"],
        json={"email": "second@example.test", "password": NEW_PASSWORD, "role": "admin"},
    ).json()["user"]
    sql("UPDATE users SET role = 'reviewer' WHERE email = $1", users["admin"])  # by the other admin, say
    response = client.patch(f"/api/users/{other['id']}", headers=auth["admin"], json={"role": "viewer"})
    assert response.status_code == 403, response.text
    assert sql("SELECT role FROM users WHERE id = $1", other["id"])[0]["role"] == "admin"


@pytest.mark.usefixtures("stale_user_cache")
@pytest.mark.parametrize("change", ["role = 'viewer'", "is_active = false"])
def test_an_admin_demoted_or_deactivated_meanwhile_creates_nobody(client, auth, users, sql, change):
    """create_user checks the actor again under a lock too: no account, least of all an admin's,
    comes from an admin demoted or deactivated a moment ago (review finding)."""
    assert client.get("/api/users", headers=auth["admin"]).status_code == 200  # cached as an active admin
    sql(f"UPDATE users SET {change} WHERE email = $1", users["admin"])  # by another admin, say
    response = client.post(
        "/api/users",
        headers=auth["admin"],
        json={"email": "backdoor@example.test", "password": NEW_PASSWORD, "role": "admin"},
    )
    assert response.status_code == 403, response.text
    assert sql("SELECT count(*) AS n FROM users WHERE email = 'backdoor@example.test'")[0]["n"] == 0
