"""Plain text from the documents we accept: PDF (pypdf) and HTML (stdlib parser).

HTML table cells are separated by a tab and rows end a line, so table-like lines keep
their columns for the offline rules.
"""

from __future__ import annotations

import io
import logging
import re
from html.parser import HTMLParser
from typing import Any

from pypdf import PdfReader

from app.extraction import media
from app.extraction.base import ExtractionError

log = logging.getLogger(__name__)

MAX_PDF_PAGES = 100  # Claude's limit too; more is not an invoice

_BLOCK_TAGS = {
    "address",
    "article",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "ul",
}
_SKIP_TAGS = {"script", "style", "head", "title", "noscript", "template"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(re.sub(r"[ \r\n]+", " ", data))


def decode_html(content: bytes) -> str:
    """HTML bytes as text: UTF-8 (with or without BOM), else the declared charset, else Latin-1."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = re.search(rb"charset=[\"']?([A-Za-z0-9_-]+)", content[:2048])
    if match:
        try:
            return content.decode(match.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return content.decode("latin-1")


def html_text(content: bytes) -> str:
    """Visible text of an HTML document, one block or table row per line, cells tab-separated."""
    parser = _TextParser()
    parser.feed(decode_html(content))
    parser.close()
    lines = []
    for line in "".join(parser.parts).split("\n"):
        cells = [" ".join(cell.split()) for cell in line.split("\t")]
        cleaned = "\t".join(cell for cell in cells if cell)
        if cleaned:
            lines.append(cleaned)
    return "\n".join(lines)


class _MemoryReader(io.RawIOBase):
    """A read-only, seekable raw stream over bytes/bytearray/memoryview that never copies them.

    io.BytesIO would copy a bytearray at once, and copies even bytes when pypdf calls its
    getbuffer() to size the stream: on a 10 MB upload that is 10 MB more memory.
    """

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        super().__init__()
        self._view = memoryview(data).cast("B")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        chunk = self._view[self._pos : self._pos + len(target)]
        target[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


def pdf_text(content: bytes) -> str:
    """Text of every page of a PDF; ExtractionError when it cannot be read."""
    try:
        reader = PdfReader(io.BufferedReader(_MemoryReader(content)))
        if reader.is_encrypted:
            raise ExtractionError("the PDF is encrypted; upload an unprotected copy")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise ExtractionError(f"the PDF has {len(reader.pages)} pages; at most {MAX_PDF_PAGES} are read")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except ExtractionError:
        raise
    except Exception as exc:  # pypdf raises many exception types on damaged files
        log.info("pdf text extraction failed: %s", exc)
        raise ExtractionError("the PDF could not be read (damaged or not a PDF)") from None


def document_text(content: bytes, media_type: str) -> str | None:
    """The text extraction reads from a file (the offline extractor's input, the text Claude is
    given for HTML); None for an image, which has no text layer (no OCR here)."""
    if media_type == media.PDF:
        return pdf_text(content)
    if media_type == media.HTML:
        return html_text(content)
    return None
