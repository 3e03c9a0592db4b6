"""Invoice Processing API: a Starlette port of the original Express backend.

The ASGI application is ``app.main:app`` (built by ``app.main.create_app()``);
``python -m app`` offers ``migrate``, ``create-user`` and ``worker``.
"""

__version__ = "2.0.0"
