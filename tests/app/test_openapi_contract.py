"""Issue 14 (API): the OpenAPI document is true. schemathesis generates requests from it
(valid and invalid: every operation, path parameters, query strings, bodies) and runs every
check it has against the app, in process, on real PostgreSQL: no 500, status codes,
content types, headers and bodies as documented, valid data accepted, invalid rejected,
auth not ignored. Examples are bounded (``MAX_EXAMPLES`` per operation) and derandomised,
so the run takes the same few tens of seconds every time."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.python import asgi as schemathesis_asgi
from starlette.datastructures import Secret

from app.auth import hash_password, issue_token
from app.main import create_app
from app.routes import document, routes
from app.settings import Settings
from tests.app.conftest import _admin, _fetch, _with_db

MAX_EXAMPLES = 5
# Rules between fields that OpenAPI 3.0 cannot state (the descriptions say them): a request the
# schema allows may still be refused with a 400 naming the field, so "schema-valid data is
# accepted" does not hold there. Every other check runs on these operations too.
CROSS_FIELD_RULES = {
    "GET /api/invoices": [positive_data_acceptance],  # start_date not after end_date, min_total not above max_total
    "POST /api/exports/templates": [positive_data_acceptance],  # invoice_fields must include invoice_number
    "PUT /api/exports/templates/{id}": [positive_data_acceptance],  # the same
    "POST /api/exports/generate": [positive_data_acceptance],  # template_id, template or fields; known field keys
    # at most 5 form fields (maxProperties counts a repeated field once)
    "POST /api/invoices/upload": [positive_data_acceptance],
    "POST /api/prompts/{id}/test-upload": [positive_data_acceptance],
    "POST /api/batches/{id}/files": [positive_data_acceptance],
}


@pytest.fixture(scope="module")
def contract_app(pg_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    name = f"app_contract_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(pg_url, f"CREATE DATABASE {name} TEMPLATE {template_db}"))
    url = _with_db(pg_url, name)
    conf = Settings(
        environment="test",
        database_url=Secret(url),
        jwt_secret=Secret("contract-secret-" + "x" * 40),
        storage_dir=str(tmp_path_factory.mktemp("contract") / "storage"),
        max_upload_bytes=64 * 1024,
        max_batch_files=3,
        log_level="ERROR",
    )
    for role in ("admin", "logout"):
        rows = asyncio.run(
            _fetch(
                url,
                "INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, $3, 'admin') "
                "RETURNING id, email, name, role, token_version",
                f"{role}@example.test",
                hash_password(uuid.uuid4().hex),
                role,
            )
        )
        TOKENS[role] = issue_token(dict(rows[0]), str(conf.jwt_secret), conf.jwt_ttl_seconds)
    app = create_app(conf)
    FORWARD.app = app
    try:
        yield {"app": app}
    finally:
        schemathesis_asgi.shutdown_lifespans()  # the app's lifespan, started by schemathesis
        asyncio.run(_admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


# The document the app serves at /api/openapi.json (test_the_document_is_served_without_a_token
# checks it is that one): built from the route list, so the tests are known when pytest collects.
schema = schemathesis.openapi.from_dict(document(routes()))
schema.config.update(base_url="http://testserver")


class _Forward:
    """The ASGI app schemathesis calls (in process): the module's app, made by the fixture."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


FORWARD = _Forward()
schema.app = FORWARD  # every call schemathesis makes (its checks make some of their own) goes in process
TOKENS: dict[str, str] = {}


@schema.auth(refresh_interval=None)  # no caching: the tokens are made by the fixture
class Bearer:
    """The admin's token (logout revokes its user's tokens: it gets a user of its own)."""

    def get(self, case: Any, context: Any) -> str:
        return TOKENS.get("logout" if case.path == "/api/auth/logout" else "admin", "")

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_does_what_its_openapi_document_says(case: Any, contract_app: dict[str, Any]) -> None:
    case.call_and_validate(excluded_checks=CROSS_FIELD_RULES.get(case.operation.label, []))


def test_the_document_is_served_without_a_token(contract_app: dict[str, Any]) -> None:
    from starlette.testclient import TestClient

    with TestClient(contract_app["app"]) as client:
        response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.json() == json.loads(json.dumps(schema.raw_schema))
    paths = response.json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == {part[1:-1] for part in Path(path).parts if part.startswith("{")}, (method, path)
    assert paths["/api/health"]["get"]["security"] == [] and paths["/api/auth/login"]["post"]["security"] == []
