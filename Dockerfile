# The Invoice Processing API (app/). Build: docker build -t invoice-api .
# Run: docker run -p 8000:8000 -e DATABASE_URL=... -e JWT_SECRET=... invoice-api
FROM python:3.12.8-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    PORT=8000

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /srv --shell /usr/sbin/nologin app

WORKDIR /srv

# Dependencies in their own layer: rebuilt only when the pins change.
COPY app/requirements.txt /srv/requirements.txt
RUN python -m pip install --no-compile -r /srv/requirements.txt

COPY --chown=root:root app /srv/app

USER 10001:10001
EXPOSE 8000

# The build's version (the deploy role passes the content hash of this context): /api/health
# reports it, so a smoke test can tell which build answers. Last, so it invalidates no layer above.
ARG APP_BUILD_ID=""
ENV APP_BUILD_ID=${APP_BUILD_ID}

# No curl in the image: the health check uses Python's standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/api/health\", timeout=4).status == 200 else 1)"]

# Applies pending migrations (an advisory lock serialises instances starting together), then
# serves on 0.0.0.0:$PORT with proxy headers: App Runner terminates TLS and forwards the client.
CMD ["python", "-m", "app", "serve"]
