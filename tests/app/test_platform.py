"""Health, OpenAPI, migrations under concurrency, S3 storage on the local endpoint, Claude through the SDK (mocked)."""

from __future__ import annotations

import asyncio
import json

import boto3
import httpx2
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from app.db import migrate
from app.extraction import build_extractor
from app.main import create_app
from app.storage import S3Storage
from tests.app.conftest import html_invoice, login
from tests.app.test_invoices import upload


def test_health_reports_version_database_and_storage(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["version"]
    assert body["checks"]["database"] == {"status": "ok", "pending_migrations": []}
    assert body["checks"]["storage"]["status"] == "ok"


def test_health_is_503_when_storage_is_unreachable(settings):
    class Down:
        name = "s3"

        async def check(self):
            raise ConnectionError("no route")

    with TestClient(create_app(settings, storage=Down())) as client:
        response = client.get("/api/health")
    assert response.status_code == 503 and response.json()["checks"]["storage"]["status"] == "error"
    assert "no route" not in response.text


def test_openapi_matches_the_routes(client, auth):
    schema = client.get("/api/openapi.json", headers=auth["viewer"]).json()
    assert schema["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in schema["paths"].items() for method in ops}
    served = {(r.path, m) for r in client.app.routes if isinstance(r, Route) for m in r.methods - {"HEAD"}}
    assert documented == served
    for ops in schema["paths"].values():
        for op in ops.values():
            assert op["summary"] and op["responses"]


def test_unknown_route_and_method_are_json(client, auth):
    missing = client.get("/api/nothing-here", headers=auth["viewer"])
    assert missing.status_code == 404 and "error" in missing.json()
    wrong = client.patch("/api/vendors", headers=auth["viewer"])
    assert wrong.status_code == 405 and "error" in wrong.json()


def test_migrations_are_safe_when_instances_start_together(pg_url):
    import uuid

    import asyncpg

    from tests.app.conftest import _admin, _with_db

    name = f"app_mig_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(pg_url, f"CREATE DATABASE {name}"))
    try:
        url = _with_db(pg_url, name)

        async def together():
            return await asyncio.gather(*(migrate(url) for _ in range(4)))

        results = asyncio.run(together())
        applied = [names for names in results if names]
        assert len(applied) == 1 and applied[0] == ["001_schema", "002_seed", "003_invoice_count"]

        async def count():
            conn = await asyncpg.connect(url)
            try:
                return await conn.fetchval("SELECT count(*) FROM vendors"), await conn.fetchval(
                    "SELECT count(*) FROM users"
                )
            finally:
                await conn.close()

        assert asyncio.run(count()) == (2, 0)  # seed data, but no users
    finally:
        asyncio.run(_admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_s3_storage_round_trip_and_presigned_url(localaws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="invoice-files")
    storage = S3Storage("invoice-files", presign_ttl=120)

    async def run():
        import io

        await storage.check()
        await storage.put_file("invoices/v/a.html", io.BytesIO(b"<html>hi</html>"), "text/html")
        data = b"".join([chunk async for chunk in storage.stream("invoices/v/a.html")])
        url = await storage.presigned_url("invoices/v/a.html", "a.html", "text/html")
        exists = await storage.exists("invoices/v/a.html")
        await storage.delete("invoices/v/a.html")
        return data, url, exists, await storage.exists("invoices/v/a.html")

    data, url, exists, after = asyncio.run(run())
    assert data == b"<html>hi</html>" and exists and not after
    assert url.startswith(localaws) and "X-Amz-Expires=120" in url and "X-Amz-Signature" in url
    obj_head = s3.list_objects_v2(Bucket="invoice-files")
    assert obj_head["KeyCount"] == 0


def test_api_on_s3_storage(localaws, settings, users, vendor_id):
    boto3.client("s3").create_bucket(Bucket="files-bucket")
    s3_settings = settings.with_overrides(
        storage_backend="s3", files_bucket="files-bucket", exports_bucket="files-bucket"
    )
    with TestClient(create_app(s3_settings)) as client:
        h = {"Authorization": f"Bearer {login(client, users['reviewer'])}"}
        assert client.get("/api/health").json()["checks"]["storage"] == {"status": "ok", "backend": "s3"}
        up = upload(client, h, vendor_id, html_invoice("S3-1"), "s.html")
        assert up.status_code == 201, up.text
        invoice_id = up.json()["invoice"]["id"]
        assert client.get(f"/api/invoices/{invoice_id}/file", headers=h).content == html_invoice("S3-1")
        url = client.get(f"/api/invoices/{invoice_id}/file-url", headers=h).json()
        assert url["url"].startswith(localaws) and url["expires_in"] == s3_settings.presign_ttl_seconds
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="files-bucket")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith(f"invoices/{vendor_id}/")


CLAUDE_ANSWER = {
    "invoice_number": "CL-77",
    "vendor_name": "Genesys",
    "customer_name": "Globex Corporation",
    "invoice_date": "2024-03-15",
    "currency": "USD",
    "subtotal": 100,
    "total_taxes": 8,
    "total_amount": 108,
    "line_items": [{"line_number": 1, "description": "Seats", "quantity": 2, "unit_price": 50, "total_amount": 100}],
}


@pytest.mark.parametrize("status", [200])
def test_upload_through_claude_records_tokens_and_cost(settings, users, vendor_id, sql, status):
    from app.extraction.schema import TOOL_NAME

    requests = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        requests.append(json.loads(request.content))
        body = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-test",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": TOOL_NAME, "input": CLAUDE_ANSWER}],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 2000, "output_tokens": 400},
        }
        return httpx2.Response(status, json=body)

    def factory(conf):
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
        return build_extractor(
            api_key="sk-ant-test-not-real", model="claude-sonnet-5", http_client=client, max_retries=0
        )

    with TestClient(create_app(settings, extractor_factory=factory)) as client:
        h = {"Authorization": f"Bearer {login(client, users['reviewer'])}"}
        up = upload(client, h, vendor_id, html_invoice("IGNORED"), "c.html")
    assert up.status_code == 201, up.text
    assert len(requests) == 1 and requests[0]["model"] == "claude-sonnet-5"
    row = sql(
        "SELECT invoice_number, input_tokens, output_tokens, extraction_cost_usd, extraction_model FROM invoices"
    )[0]
    assert row["invoice_number"] == "CL-77" and row["input_tokens"] == 2000 and row["output_tokens"] == 400
    assert row["extraction_cost_usd"] > 0


def test_no_unauthenticated_request_reaches_claude(settings):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx2.Response(500)

    def factory(conf):
        return build_extractor(
            api_key="sk-ant-test", model="m", http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
        )

    with TestClient(create_app(settings, extractor_factory=factory)) as client:
        for path in ("/api/invoices/upload", "/api/prompts/00000000-0000-0000-0000-000000000000/test"):
            assert client.post(path, files={"invoice": ("a.html", html_invoice("N"))}).status_code == 401
    assert calls == []
