"""AWS managed CloudFront policies (ids and settings as AWS documents them) and serving constants."""

from __future__ import annotations

from typing import Any

# Ports tried first for a distribution: PORT_BASE + (a hash of its id) % PORT_SPAN, below the
# kernel's ephemeral range, so a distribution keeps its port across endpoint restarts when free.
PORT_BASE = 20000
PORT_SPAN = 10000

ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]

_SECURITY_HEADERS: dict[str, Any] = {
    "StrictTransportSecurity": {"Override": False, "AccessControlMaxAgeSec": 31536000},
    "ContentTypeOptions": {"Override": True},
    "FrameOptions": {"Override": False, "FrameOption": "SAMEORIGIN"},
    "ReferrerPolicy": {"Override": False, "ReferrerPolicy": "strict-origin-when-cross-origin"},
    "XSSProtection": {"Override": False, "Protection": True, "ModeBlock": True},
}
_SIMPLE_CORS: dict[str, Any] = {
    "AccessControlAllowOrigins": {"Items": ["*"]},
    "AccessControlAllowHeaders": {"Items": []},
    "AccessControlAllowMethods": {"Items": ["GET", "HEAD"]},
    "AccessControlAllowCredentials": False,
    "AccessControlExposeHeaders": {"Items": ["*"]},
    "OriginOverride": False,
}
_PREFLIGHT_CORS: dict[str, Any] = {
    **_SIMPLE_CORS,
    "AccessControlAllowHeaders": {"Items": ["*"]},
    "AccessControlAllowMethods": {"Items": ALL_METHODS},
    "AccessControlMaxAgeSec": 600,
}

# ResponseHeadersPolicyConfig of the managed response headers policies, by id. The values and
# Override flags follow AWS's "Use managed response headers policies" page as recalled; they
# were not checked line by line against it here: do so before relying on an Override flag.
MANAGED_RESPONSE_HEADERS_POLICIES: dict[str, dict[str, Any]] = {
    "67f7725c-6f97-4210-82d7-5512b31e9d03": {
        "Name": "Managed-SecurityHeadersPolicy",
        "SecurityHeadersConfig": _SECURITY_HEADERS,
    },
    "60669652-455b-4ae9-85a4-c4c02393f86c": {"Name": "Managed-SimpleCORS", "CorsConfig": _SIMPLE_CORS},
    "5cc3b908-e619-4b99-88e5-2cf7f45965bd": {"Name": "Managed-CORS-With-Preflight", "CorsConfig": _PREFLIGHT_CORS},
    "e61eb60c-9c35-4d20-a928-2b84e02af89c": {
        "Name": "Managed-CORS-and-SecurityHeadersPolicy",
        "CorsConfig": _SIMPLE_CORS,
        "SecurityHeadersConfig": _SECURITY_HEADERS,
    },
    "eaab4381-ed33-4a86-88ca-d9558dc6cd63": {
        "Name": "Managed-CORS-with-preflight-and-SecurityHeadersPolicy",
        "CorsConfig": _PREFLIGHT_CORS,
        "SecurityHeadersConfig": _SECURITY_HEADERS,
    },
}

# Managed cache policies: whether CloudFront may compress (EnableAcceptEncodingGzip); a policy
# not listed here (a custom one: moto keeps no cache policies' settings) counts as allowing it.
MANAGED_CACHE_POLICY_GZIP: dict[str, bool] = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": True,  # CachingOptimized
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": False,  # CachingOptimizedForUncompressedObjects
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": False,  # CachingDisabled
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": True,  # UseOriginCacheControlHeaders
}

# What CloudFront compresses (its documented file types, by Content-Type) and the size range.
COMPRESSIBLE_TYPES = (
    "text/",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/x-javascript",
    "application/xhtml+xml",
    "application/manifest+json",
    "application/vnd.ms-fontobject",
    "font/",
    "image/svg+xml",
    "image/x-icon",
    "image/vnd.microsoft.icon",
)
COMPRESS_MIN_BYTES = 1000
COMPRESS_MAX_BYTES = 10_000_000

# Headers that do not travel through a proxy (RFC 9110 section 7.6.1), plus the ones we rebuild.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
