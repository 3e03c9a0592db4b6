"""The route list (Starlette style): one place that shows every path the API serves."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

from app import __version__
from app.endpoints import auth, batches, customers, exports, health, invoices, prompts, vendors
from app.responses import JSON

schemas = SchemaGenerator(
    {
        "openapi": "3.0.3",
        "info": {"title": "Invoice Processing API", "version": __version__},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "security": [{"bearer": []}],
    }
)


async def openapi(request: Request) -> JSON:
    """
    summary: This API's OpenAPI description
    tags: [meta]
    responses:
      200: {description: OpenAPI 3 document}
    """
    return JSON(schemas.get_schema(routes=request.app.routes))


def routes() -> list[Route]:
    return [
        Route("/api/health", health.health, methods=["GET"]),
        Route("/api/openapi.json", openapi, methods=["GET"]),
        # auth
        Route("/api/auth/login", auth.login, methods=["POST"]),
        Route("/api/auth/me", auth.me, methods=["GET"]),
        Route("/api/auth/logout", auth.logout, methods=["POST"]),
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
