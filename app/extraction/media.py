"""Media types: by magic bytes and by file name."""

from __future__ import annotations

import re
from pathlib import PurePath

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
HTML = "text/html"

SUPPORTED = (PDF, PNG, JPEG, HTML)

_EXTENSIONS = {".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG, ".html": HTML, ".htm": HTML}
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<table|<div|<meta|<!--)", re.IGNORECASE)


def sniff_media_type(head: bytes) -> str | None:
    """Media type from the first bytes of a file (pass at least 512), or None when unknown."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    text = head.removeprefix(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    if _HTML_START.match(text):
        return HTML
    return None


def media_type_for_filename(filename: str) -> str | None:
    """Media type from the extension (.pdf .png .jpg .jpeg .html .htm), or None."""
    return _EXTENSIONS.get(PurePath(filename).suffix.lower())
