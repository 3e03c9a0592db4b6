"""The viewer side: one loopback listener per distribution, and CloudFront's request pipeline.

Each distribution gets its own port on 127.0.0.1 when it is created (``PORT_BASE`` + a hash of
its id when that port is free, else any free port) and keeps it until it is deleted (or the
endpoint resets or stops). Every request reads the distribution's current configuration, so an
update applies at once (CloudFront takes minutes to deploy one). For each request:

1. a disabled distribution answers ``403`` (CloudFront's "The request could not be satisfied");
2. the cache behaviour is the first ``CacheBehaviors`` path pattern that matches (``*``, ``?``,
   case-sensitive), else the default; a method outside its ``AllowedMethods`` is ``403``;
3. ``/`` becomes ``/<DefaultRootObject>``; the origin (``origins.py``) answers;
4. an error status with a ``CustomErrorResponses`` entry (with a page path) is replaced by that
   page, fetched through the behaviour its path matches, with the entry's ``ResponseCode``.
   As on CloudFront this applies to every origin of the distribution, the API's too;
5. ``Compress`` (and a cache policy that allows gzip) gzips compressible 1 kB-10 MB bodies
   for viewers that accept gzip, and makes a strong ``ETag`` weak (``W/"..."``) as CloudFront does;
6. the behaviour's response headers policy (AWS managed or one created on this endpoint) adds
   its security, CORS and custom headers and removes its removed headers;
7. ``Via``, ``X-Cache`` and ``X-Amz-Cf-Id`` are added. Nothing is cached (every hit is a
   ``Miss``): the origin's ``Cache-Control`` and ``ETag`` reach the viewer as CloudFront passes
   them, and conditional requests are answered by the origin (``304``).

Plain HTTP only (loopback has no certificate): ``ViewerProtocolPolicy`` is not enforced.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tools.localaws.cloudfront import constants, origins
from tools.localaws.cloudfront.origins import Response

StartResponse = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    """No request log; no ``Server: Werkzeug``: the response's own ``Server`` (origin or CloudFront)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


def cloudfront_error(status: int, reason: str) -> Response:
    body = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<HTML><HEAD><TITLE>ERROR: The request '
        f"could not be satisfied</TITLE></HEAD><BODY><H1>{status} ERROR</H1><H2>The request could not be "
        f'satisfied.</H2><HR noshade size="1px">{reason}</BODY></HTML>'
    ).encode()
    return Response(status, [("Content-Type", "text/html"), ("Server", "CloudFront")], body)


def _backend(account_id: str) -> Any:
    from moto.cloudfront.models import cloudfront_backends  # noqa: PLC0415

    return cloudfront_backends[account_id]["aws"]


def _pattern(path_pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in path_pattern.lstrip("/"))
    return re.compile(f"/{body}", re.DOTALL)


def match_behavior(config: Any, path: str) -> Any:
    for behavior in (config.CacheBehaviors or {}).get("Items") or []:
        if _pattern(behavior.path_pattern).fullmatch(path):
            return behavior
    return config.DefaultCacheBehavior


def response_headers_policy(account_id: str, policy_id: str | None) -> dict[str, Any] | None:
    if not policy_id:
        return None
    managed = constants.MANAGED_RESPONSE_HEADERS_POLICIES.get(policy_id)
    if managed is not None:
        return managed
    own = getattr(_backend(account_id), "localaws_response_headers_policies", {}).get(policy_id)
    if own is None:
        raise LookupError(f"response headers policy {policy_id} does not exist")
    return dict(own["ResponseHeadersPolicyConfig"])


def _items(block: Any) -> list[Any]:
    return list((block or {}).get("Items") or [])


def _set(response: Response, name: str, value: str, override: bool) -> None:
    if override or response.header(name) is None:
        response.set_header(name, value)


def apply_headers_policy(policy: dict[str, Any], response: Response, request_headers: dict[str, str]) -> None:
    _security_headers(policy.get("SecurityHeadersConfig") or {}, response)
    if policy.get("CorsConfig") and request_headers.get("origin"):
        _cors_headers(policy["CorsConfig"], response, request_headers)
    for custom in _items(policy.get("CustomHeadersConfig")):
        _set(response, custom["Header"], custom["Value"], bool(custom.get("Override")))
    for removed in _items(policy.get("RemoveHeadersConfig")):
        response.remove_header(removed["Header"])


def _security_headers(security: dict[str, Any], response: Response) -> None:
    if "StrictTransportSecurity" in security:
        sts = security["StrictTransportSecurity"]
        value = f"max-age={sts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if sts.get("IncludeSubdomains") else ""
        value += "; preload" if sts.get("Preload") else ""
        _set(response, "Strict-Transport-Security", value, bool(sts.get("Override")))
    if "ContentTypeOptions" in security:
        _set(response, "X-Content-Type-Options", "nosniff", bool(security["ContentTypeOptions"].get("Override")))
    if "FrameOptions" in security:
        frame = security["FrameOptions"]
        _set(response, "X-Frame-Options", frame["FrameOption"], bool(frame.get("Override")))
    if "ReferrerPolicy" in security:
        referrer = security["ReferrerPolicy"]
        _set(response, "Referrer-Policy", referrer["ReferrerPolicy"], bool(referrer.get("Override")))
    if "ContentSecurityPolicy" in security:
        csp = security["ContentSecurityPolicy"]
        _set(response, "Content-Security-Policy", csp["ContentSecurityPolicy"], bool(csp.get("Override")))
    if "XSSProtection" in security:
        xss = security["XSSProtection"]
        value = "1" if xss.get("Protection") else "0"
        value += "; mode=block" if xss.get("Protection") and xss.get("ModeBlock") else ""
        value += f"; report={xss['ReportUri']}" if xss.get("ReportUri") else ""
        _set(response, "X-XSS-Protection", value, bool(xss.get("Override")))


def _cors_headers(cors: dict[str, Any], response: Response, request_headers: dict[str, str]) -> None:
    origin = request_headers["origin"]
    override = bool(cors.get("OriginOverride"))
    allowed = _items(cors.get("AccessControlAllowOrigins"))
    if "*" not in allowed and origin not in allowed:
        return
    _set(response, "Access-Control-Allow-Origin", "*" if "*" in allowed else origin, override)
    if cors.get("AccessControlAllowCredentials"):
        _set(response, "Access-Control-Allow-Credentials", "true", override)
    exposed = _items(cors.get("AccessControlExposeHeaders"))
    if exposed:
        _set(response, "Access-Control-Expose-Headers", ", ".join(exposed), override)
    if "access-control-request-method" not in request_headers:
        return
    # a preflight
    _set(response, "Access-Control-Allow-Methods", ", ".join(_items(cors.get("AccessControlAllowMethods"))), override)
    headers = _items(cors.get("AccessControlAllowHeaders"))
    if headers:
        _set(response, "Access-Control-Allow-Headers", ", ".join(headers), override)
    if cors.get("AccessControlMaxAgeSec"):
        _set(response, "Access-Control-Max-Age", str(cors["AccessControlMaxAgeSec"]), override)


def _compressible(response: Response) -> bool:
    content_type = (response.header("Content-Type") or "").split(";")[0].strip().lower()
    return (
        response.status == 200
        and response.header("Content-Encoding") is None
        and constants.COMPRESS_MIN_BYTES <= len(response.body) <= constants.COMPRESS_MAX_BYTES
        and content_type.startswith(constants.COMPRESSIBLE_TYPES)
    )


def maybe_compress(behavior: Any, response: Response, request_headers: dict[str, str]) -> None:
    if not behavior.compress or not constants.MANAGED_CACHE_POLICY_GZIP.get(behavior.cache_policy_id or "", True):
        return
    accepted = {part.split(";")[0].strip().lower() for part in request_headers.get("accept-encoding", "").split(",")}
    if "gzip" not in accepted or not _compressible(response):
        return
    response.body = gzip.compress(response.body, mtime=0)
    response.set_header("Content-Encoding", "gzip")
    etag = response.header("ETag")
    if etag and etag.startswith('"'):  # CloudFront's "ETag header conversion": a strong ETag becomes weak
        response.set_header("ETag", f"W/{etag}")
    vary = response.header("Vary")
    response.set_header("Vary", f"{vary}, Accept-Encoding" if vary else "Accept-Encoding")


@dataclass
class ViewerRequest:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    client: str = ""


METHOD_REFUSED = "This distribution is not configured to allow the HTTP request method that was used for this request."


class Edge:
    """The request pipeline of one distribution."""

    def __init__(self, account_id: str, distribution_id: str) -> None:
        self.account_id = account_id
        self.distribution_id = distribution_id
        self.via = f"1.1 {hashlib.sha256(distribution_id.encode()).hexdigest()[:32]}.cloudfront.net (CloudFront)"

    def distribution(self) -> Any:
        return _backend(self.account_id).distributions.get(self.distribution_id)

    def handle(self, request: ViewerRequest) -> Response:
        dist = self.distribution()
        if dist is None:
            return cloudfront_error(403, "Bad request. The distribution does not exist.")
        config = dist.distribution_config
        if not config.Enabled:
            return cloudfront_error(403, "Bad request. The distribution is disabled.")
        behavior = match_behavior(config, request.path)
        if request.method not in behavior.allowed_methods.items:
            return cloudfront_error(403, METHOD_REFUSED)
        if request.path == "/" and config.DefaultRootObject:
            request.path = "/" + config.DefaultRootObject
        try:
            response = self._error_page(dist, self._fetch(dist, behavior, request), request)
            maybe_compress(behavior, response, request.headers)
            policy = response_headers_policy(self.account_id, behavior.response_headers_policy_id)
        except origins.OriginUnreachable as exc:
            response, policy = cloudfront_error(502, f"CloudFront wasn't able to connect to the origin: {exc}."), None
        except LookupError as exc:
            response, policy = cloudfront_error(502, f"The distribution's configuration is invalid: {exc}."), None
        if policy is not None:
            apply_headers_policy(policy, response, request.headers)
        response.set_header("Via", self.via)
        response.set_header("X-Cache", "Error from cloudfront" if response.status >= 400 else "Miss from cloudfront")
        response.set_header("X-Amz-Cf-Id", uuid.uuid4().hex)
        return response

    def _fetch(self, dist: Any, behavior: Any, request: ViewerRequest) -> Response:
        origin = next((o for o in dist.distribution_config.Origins["Items"] if o.id == behavior.target_origin_id), None)
        if origin is None:
            raise LookupError(f"no origin {behavior.target_origin_id}")
        full_path = (origin.origin_path or "") + request.path
        custom = getattr(origin, "custom_origin_config", None)
        s3 = origins.S3_DOMAIN.match(origin.domain_name)
        if s3 and custom is None:
            if request.method not in ("GET", "HEAD"):
                return origins.s3_error(405, "MethodNotAllowed", "The specified method is not allowed.")
            return origins.fetch_s3(
                self.account_id,
                s3["bucket"],
                unquote(full_path).lstrip("/"),
                request_headers=request.headers,
                oac=bool(origin.origin_access_control_id),
                distribution_arn=dist.arn,
            )
        http_port = getattr(custom, "http_port", None)
        target = origins.resolve_custom(origin.domain_name, http_port)
        if target is None:
            raise origins.OriginUnreachable(f"{origin.domain_name} is not served on this machine")
        return origins.fetch_custom(
            target,
            origin.domain_name,
            method=request.method,
            path=full_path + (f"?{request.query}" if request.query else ""),
            request_headers=request.headers,
            body=request.body,
            timeout=float(getattr(custom, "origin_read_timeout", 30) or 30),
            via=self.via,
            client_ip=request.client,
        )

    def _error_page(self, dist: Any, response: Response, request: ViewerRequest) -> Response:
        if response.status < 400:
            return response
        config = dist.distribution_config
        for entry in (config.CustomErrorResponses or {}).get("Items") or []:
            if int(entry["ErrorCode"]) != response.status or not entry.get("ResponsePagePath"):
                continue
            page_path = entry["ResponsePagePath"]
            page_headers = {k: v for k, v in request.headers.items() if not k.startswith("if-")}
            page_request = ViewerRequest("GET", page_path, headers=page_headers, client=request.client)
            page = self._fetch(dist, match_behavior(config, page_path), page_request)
            if page.status >= 400:
                return response  # CloudFront returns the origin's error when the page itself fails
            page.status = int(entry.get("ResponseCode") or response.status)
            return page
        return response

    # WSGI
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        path = environ.get("RAW_URI", "").split("?", 1)[0] or environ.get("PATH_INFO", "/") or "/"
        request = ViewerRequest(
            method, path, environ.get("QUERY_STRING", ""), headers, body, environ.get("REMOTE_ADDR", "")
        )
        response = self.handle(request)
        if response.status != 304 and (method != "HEAD" or response.header("Content-Length") is None):
            response.set_header("Content-Length", str(len(response.body)))
        start_response(f"{response.status} {_reason(response.status)}", response.headers)
        return [b"" if method == "HEAD" else response.body]


def _reason(status: int) -> str:
    from http import HTTPStatus  # noqa: PLC0415

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


# ---- listeners -------------------------------------------------------------------------------


def preferred_port(distribution_id: str) -> int:
    digest = int(hashlib.sha256(distribution_id.encode()).hexdigest(), 16)
    return constants.PORT_BASE + digest % constants.PORT_SPAN


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Listener:
    def __init__(self, account_id: str, distribution_id: str) -> None:
        port = preferred_port(distribution_id)
        self.server: BaseWSGIServer = make_server(
            "127.0.0.1",
            port if _port_free(port) else 0,
            Edge(account_id, distribution_id),
            threaded=True,
            request_handler=_QuietHandler,
        )
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        name = f"cloudfront-{distribution_id}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name=name, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_LOCK = threading.Lock()
LISTENERS: dict[tuple[str, str], Listener] = {}


def open_listener(account_id: str, distribution_id: str) -> Listener:
    with _LOCK:
        listener = LISTENERS.get((account_id, distribution_id))
        if listener is None:
            listener = LISTENERS[(account_id, distribution_id)] = Listener(account_id, distribution_id)
        return listener


def close_listener(account_id: str, distribution_id: str) -> None:
    with _LOCK:
        listener = LISTENERS.pop((account_id, distribution_id), None)
    if listener is not None:
        listener.close()


def close_all(account_id: str | None = None) -> None:
    with _LOCK:
        keys = [k for k in LISTENERS if account_id is None or k[0] == account_id]
        closing = [LISTENERS.pop(k) for k in keys]
    for listener in closing:
        listener.close()


def describe(account_id: str, distribution_id: str) -> dict[str, Any] | None:
    """What ``GET /_localaws/cloudfront/<id>`` answers (``None``: no such distribution)."""
    dist = _backend(account_id).distributions.get(distribution_id)
    listener = LISTENERS.get((account_id, distribution_id))
    if dist is None or listener is None:
        return None
    return {
        "Id": distribution_id,
        "ARN": dist.arn,
        "DomainName": dist.domain_name,
        "Enabled": bool(dist.distribution_config.Enabled),
        "LocalUrl": listener.url,
    }
