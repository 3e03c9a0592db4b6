"""The bare Starlette application the API is compared with: one route, a constant JSON body.

Served by the same uvicorn settings as the API, it measures what the server, the event
loop and the load generator cost on this machine, so API numbers can be read as a ratio.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def bare(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/bare", bare)])
