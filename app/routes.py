"""The route list (Starlette style): one place that shows every path the API serves."""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.schemas import SchemaGenerator

from app import __version__, tables
from app.auth import PUBLIC_PATHS
from app.endpoints import auth, batches, customers, exports, health, invoices, prompts, users, vendors
from app.responses import JSON
from app.tables import STRING_LIMITS
from app.validation import MONEY_MAX, QTY_MAX

# Every string input is trimmed and may not hold NUL; a required one may not be blank
# (app/validation.py string()). An optional UUID may also be empty (no filter, no value).
NO_NUL = "^[^\\u0000]*$"
# Python's str.strip() whitespace, spelled out (\\s differs between Python and ECMA regexes)
_STRIPPED = "\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{_STRIPPED}][^\\u0000]*$"


def _column_schema(kind: str, name: str) -> dict[str, Any]:
    """The JSON schema of one invoice or line item input, as app/validation.py field_value() reads it."""
    if kind in {"money", "qty"}:
        limit = float(MONEY_MAX if kind == "money" else QTY_MAX)
        digits = 10 if kind == "money" else 8
        return {
            "anyOf": [
                {"type": "number", "minimum": -limit, "maximum": limit},
                {"type": "string", "pattern": f"^-?[0-9]{{1,{digits}}}(\\.[0-9]{{1,4}})?$"},
            ]
        }
    if kind == "int":
        return {"type": "integer", "minimum": 0, "maximum": 1_000_000}
    if kind == "uuid":
        return {"type": "string", "format": "uuid"}
    if kind == "date":
        return {"type": "string", "format": "date"}
    if kind == "currency":
        return {"type": "string", "pattern": "^[A-Za-z]{3}$"}
    return {
        "type": "string",
        "maxLength": 10_000 if kind == "text" else STRING_LIMITS.get(name, 255),
        "pattern": NO_NUL,
    }


def _columns(fields: dict[str, str]) -> dict[str, Any]:
    properties = {name: {**_column_schema(kind, name), "nullable": True} for name, kind in fields.items()}
    return {"type": "object", "properties": properties}


def _invoice_update() -> dict[str, Any]:
    """The update body: line items to replace, or a header with at least one column (others are ignored)."""
    header = {"nullable": False, "allOf": [{"$ref": "#/components/schemas/InvoiceHeader"}]}
    items = {"type": "array", "nullable": False, "maxItems": 5000, "items": {"$ref": "#/components/schemas/LineItem"}}
    columns = [*tables.INVOICE_HEADER_FIELDS, "customer_id"]
    some_column = {"anyOf": [{"required": [name]} for name in columns]}
    return {
        "type": "object",
        "properties": {"invoice_header": header, "line_items": items},
        "anyOf": [
            {"required": ["line_items"]},
            {"required": ["invoice_header"], "properties": {"invoice_header": some_column}},
        ],
    }


_LOCAL = "[^@\\s\\u0000-\\u001f\\u0085]"
schemas = SchemaGenerator(
    {
        "openapi": "3.0.3",
        "info": {"title": "Invoice Processing API", "version": __version__},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                # app/validation.py EMAIL, with Python's whitespace (\s there also holds \x1c-\x1f, \x85)
                "Email": {"type": "string", "maxLength": 255, "pattern": f"^{_LOCAL}{{1,64}}@{_LOCAL}+\\.{_LOCAL}+$"},
                # PUT /api/invoices/{id}/update: every column of tables.py, as the server reads it
                "InvoiceHeader": _columns({**tables.INVOICE_HEADER_FIELDS, "customer_id": "uuid"}),
                "LineItem": _columns(tables.LINE_ITEM_FIELDS),
                "InvoiceUpdate": _invoice_update(),
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string", "description": "what is wrong"},
                        "field": {"type": "string", "description": "the input to blame, when one is"},
                    },
                },
            },
        },
        "security": [{"bearer": []}],
    }
)

# Errors every operation of a kind can answer (docs/api.md "Conventions"); an endpoint's
# docstring may describe one more precisely, which is kept.
ERRORS = {
    400: "An input is invalid (the field is named)",
    401: "No valid token",
    403: "The token's role may not do this",
    404: "No such resource (the field is named)",
    413: "The request body is too large",
    415: "The request body is not of the documented content type",
}


def _inputs(schema: dict[str, Any], required: bool) -> None:
    """Write app/validation.py's rules for strings into a request schema, where it left them out."""
    kind = schema.get("type")
    if kind == "object":
        if schema.get("minProperties") == 1 and schema.get("properties"):
            # "at least one of these": the server ignores other keys, so one of these must come
            del schema["minProperties"]
            schema["anyOf"] = [{"required": [name]} for name in schema["properties"]]
        needed = set(schema.get("required", ()))
        for name, prop in schema.get("properties", {}).items():
            _inputs(prop, name in needed)
            if name not in needed:
                prop.setdefault("nullable", True)  # null is no value, as a missing key
    elif kind == "array" and isinstance(schema.get("items"), dict):
        _inputs(schema["items"], True)
    elif kind == "string" and "enum" not in schema:
        if "format" in schema:
            if not required:  # an empty UUID or date is no value
                formatted = dict(schema)
                schema.clear()
                schema["anyOf"] = [formatted, {"type": "string", "enum": [""]}]
        elif "pattern" not in schema:
            schema["pattern"] = NOT_BLANK if required else NO_NUL
            if required:
                schema.setdefault("minLength", 1)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _insert(operation: dict[str, Any], key: str, value: Any, before: Callable[[str], bool]) -> None:
    """Add ``key`` before the first key ``before`` accepts (at the end when none), keeping the
    docstring's order: the document reads as if the docstring had declared it."""
    items = list(operation.items())
    at = next((i for i, (name, _) in enumerate(items) if before(name)), len(items))
    operation.clear()
    operation.update([*items[:at], (key, value), *items[at:]])


def _tag(operation: dict[str, Any], endpoint: Any) -> None:
    """An operation's tag, unless its docstring names one: its endpoint module's name
    (app/endpoints/invoices.py: ``invoices``), after the summary and description."""
    if "tags" not in operation and endpoint is not None:
        tag = endpoint.__module__.rpartition(".")[2]
        _insert(operation, "tags", [tag], lambda name: name not in ("summary", "description"))


def _add_parameters(operation: dict[str, Any], parameters: list[dict[str, Any]]) -> None:
    """``parameters`` before those the docstring declares (where it declares none: before its responses)."""
    if "parameters" in operation:
        operation["parameters"] = parameters + operation["parameters"]
    else:
        _insert(operation, "parameters", parameters, lambda name: name == "responses")


def _complete(operation: dict[str, Any], path: str, endpoint: Any) -> None:
    """What holds for every operation of the kind, added so no docstring has to repeat it:
    its tag, path parameters (UUIDs), opting out of the token on public routes, the error responses."""
    _tag(operation, endpoint)
    # app/endpoints/filters.py: the list filters, from their table; app/endpoints/common.py Paging: page and limit
    for marked in ("query_filters", "query_paging"):
        if (declare := getattr(endpoint, marked, None)) is not None:
            _add_parameters(operation, declare())
    names = re.findall(r"{(\w+)}", path)
    declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
    missing = [name for name in names if name not in declared]
    uuid_param = {"in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
    parameters = [{"name": name, **uuid_param} for name in missing] + operation.get("parameters", [])
    if parameters:
        operation["parameters"] = parameters
    for parameter in parameters:
        if parameter.get("in") != "path":
            _inputs(parameter.setdefault("schema", {"type": "string"}), parameter.get("required", False))
    for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
        _inputs(content.get("schema", {}), True)
        if media_type == "multipart/form-data":  # request.form(max_fields=5): the file part and 5 fields
            content["schema"].setdefault("maxProperties", 6)
        if content.get("schema", {}).get("required"):
            operation["requestBody"]["required"] = True  # fields are required: so is the body
    public = path in PUBLIC_PATHS
    if public:
        operation["security"] = []
    _responses(operation, public=public, role=getattr(endpoint, "required_role", "viewer"), has_id=bool(names))


def _responses(operation: dict[str, Any], *, public: bool, role: str, has_id: bool) -> None:
    codes: set[int] = set()
    if operation.get("parameters") or operation.get("requestBody"):
        codes.add(400)
    if not public:
        codes.add(401)
    if role != "viewer":
        codes.add(403)
    if has_id or '"format": "uuid"' in json.dumps(operation.get("requestBody", {})):
        codes.add(404)  # the id in the path, or one in the body, names nothing
    if operation.get("requestBody"):
        codes |= {413, 415}
    responses = operation.setdefault("responses", {})
    for code in sorted(codes):
        documented = responses.get(code) or responses.get(str(code))
        responses.pop(str(code), None)
        responses[code] = _error(documented["description"] if documented else ERRORS[code])
    for code, response in list(responses.items()):
        if int(code) >= 400 and "content" not in response:
            responses[code] = _error(response["description"])


def document(routes: list[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI document: the endpoints' docstrings, completed."""
    schema = schemas.get_schema(routes=routes)
    endpoints = {(r.path, m.lower()): r.endpoint for r in routes if isinstance(r, Route) for m in r.methods or ()}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            _complete(operation, path, endpoints.get((path, method)))
    return schema


async def openapi(request: Request) -> JSON:
    """
    summary: This API's OpenAPI description (no token needed)
    tags: [meta]
    responses:
      200: {description: OpenAPI 3 document}
    """
    app = request.app
    if app not in _documents:
        _documents[app] = document(app.routes)
    return JSON(_documents[app])


_documents: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()  # built once per app


def _keep_static_paths(routes: list[Route]) -> list[Route]:
    """A path parameter does not match a literal segment of a sibling path: DELETE
    /api/batches/names is a 405 (the path has GET only), not a DELETE of batch "names"."""
    split = [route.path.split("/") for route in routes]
    for route, parts in zip(routes, split, strict=True):
        pattern = route.path_regex.pattern
        for index, part in enumerate(parts):
            if not part.startswith("{"):
                continue
            words = {
                other[index]
                for other in split
                if len(other) > index and other[:index] == parts[:index] and not other[index].startswith("{")
            }
            if words:
                name = part[1:-1].split(":")[0]
                reserved = "|".join(sorted(map(re.escape, words)))
                pattern = pattern.replace(f"(?P<{name}>[^/]+)", f"(?P<{name}>(?!(?:{reserved})(?:/|$))[^/]+)")
        route.path_regex = re.compile(pattern)
    return routes


def routes() -> list[Route]:
    return _keep_static_paths(
        [
            Route("/api/health", health.health, methods=["GET"]),
            Route("/api/openapi.json", openapi, methods=["GET"]),
            # auth
            Route("/api/auth/login", auth.login, methods=["POST"]),
            Route("/api/auth/me", auth.me, methods=["GET"]),
            Route("/api/auth/logout", auth.logout, methods=["POST"]),
            # users (admin)
            Route("/api/users", users.list_users, methods=["GET"]),
            Route("/api/users", users.create_user, methods=["POST"]),
            Route("/api/users/{id}", users.update_user, methods=["PATCH"]),
            # vendors
            Route("/api/vendors", vendors.list_vendors, methods=["GET"]),
            Route("/api/vendors", vendors.create_vendor, methods=["POST"]),
            Route("/api/vendors/{id}", vendors.get_vendor, methods=["GET"]),
            Route("/api/vendors/{id}", vendors.update_vendor, methods=["PUT"]),
            Route("/api/vendors/{id}", vendors.delete_vendor, methods=["DELETE"]),
            # customers
            Route("/api/customers", customers.list_customers, methods=["GET"]),
            Route("/api/customers", customers.create_customer, methods=["POST"]),
            Route("/api/customers/{id}", customers.get_customer, methods=["GET"]),
            Route("/api/customers/{id}", customers.update_customer, methods=["PUT"]),
            Route("/api/customers/{id}", customers.delete_customer, methods=["DELETE"]),
            # invoices
            Route("/api/invoices", invoices.list_invoices, methods=["GET"]),
            Route("/api/invoices/upload", invoices.upload_invoice, methods=["POST"]),
            Route("/api/invoices/{id}", invoices.get_invoice, methods=["GET"]),
            Route("/api/invoices/{id}", invoices.delete_invoice, methods=["DELETE"]),
            Route("/api/invoices/{id}/approve", invoices.approve_invoice, methods=["PUT"]),
            Route("/api/invoices/{id}/reject", invoices.reject_invoice, methods=["PUT"]),
            Route("/api/invoices/{id}/update", invoices.update_invoice, methods=["PUT"]),
            Route("/api/invoices/{id}/file", invoices.invoice_file, methods=["GET"]),
            Route("/api/invoices/{id}/file-url", invoices.invoice_file_url, methods=["GET"]),
            # batches
            Route("/api/batches", batches.list_batches, methods=["GET"]),
            Route("/api/batches/names", batches.batch_names, methods=["GET"]),
            Route("/api/batches/init", batches.init_batch, methods=["POST"]),
            Route("/api/batches/{id}", batches.get_batch, methods=["GET"]),
            Route("/api/batches/{id}", batches.delete_batch, methods=["DELETE"]),
            Route("/api/batches/{id}/files", batches.add_files, methods=["POST"]),
            Route("/api/batches/{id}/process", batches.process_batch, methods=["POST"]),
            Route("/api/batches/{id}/resume", batches.resume_batch, methods=["POST"]),
            Route("/api/batches/{id}/progress", batches.batch_progress, methods=["GET"]),
            # prompts
            Route("/api/prompts", prompts.list_prompts, methods=["GET"]),
            Route("/api/prompts", prompts.create_prompt, methods=["POST"]),
            Route("/api/prompts/vendor/{vendorId}", prompts.vendor_prompts, methods=["GET"]),
            Route("/api/prompts/test-file/{tempFileId}", prompts.test_file, methods=["GET"]),
            Route("/api/prompts/test-cleanup/{tempFileId}", prompts.test_cleanup, methods=["DELETE"]),
            Route("/api/prompts/{id}", prompts.get_prompt, methods=["GET"]),
            Route("/api/prompts/{id}", prompts.update_prompt, methods=["PUT"]),
            Route("/api/prompts/{id}", prompts.delete_prompt, methods=["DELETE"]),
            Route("/api/prompts/{id}/activate", prompts.activate_prompt, methods=["POST"]),
            Route("/api/prompts/{id}/history", prompts.prompt_history, methods=["GET"]),
            Route("/api/prompts/{id}/test", prompts.test_prompt, methods=["POST"]),
            Route("/api/prompts/{id}/test-upload", prompts.test_upload, methods=["POST"]),
            Route("/api/prompts/{id}/test-run", prompts.test_run, methods=["POST"]),
            # exports
            Route("/api/exports/templates", exports.list_templates, methods=["GET"]),
            Route("/api/exports/templates", exports.create_template, methods=["POST"]),
            Route("/api/exports/templates/{id}", exports.update_template, methods=["PUT"]),
            Route("/api/exports/templates/{id}", exports.delete_template, methods=["DELETE"]),
            Route("/api/exports/fields", exports.fields, methods=["GET"]),
            Route("/api/exports/generate", exports.generate, methods=["POST"]),
            Route("/api/exports/preview/{id}", exports.preview, methods=["GET"]),
            Route("/api/exports/validate", exports.validate, methods=["POST"]),
            Route("/api/exports/recent", exports.recent, methods=["GET"]),
            Route("/api/exports/download/{id}", exports.download, methods=["GET"]),
            Route("/api/exports/stats", exports.stats, methods=["GET"]),
        ]
    )
