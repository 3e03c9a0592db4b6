# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A tiny PDF writer: pages of text lines in Helvetica.

Enough PDF 1.4 to be read by pypdf and any viewer: catalog, page tree, one content stream
per page, the standard Type1 font Helvetica with WinAnsiEncoding (so "€" works), and a
correct cross-reference table. ``padding`` adds a stream of that many bytes that no text
uses (the benchmarks build large but valid PDFs with it). The output is deterministic: the
same input gives the same bytes.

One writer for two users: verify_upload_probe's invoice (module_utils/verify.py
``probe_pdf``) and the test and benchmark fixtures (tests/extraction, bench/), so the probe
uploads the same kind of file the extraction tests read. Standard library only: the tests
and benchmarks import it as ``plugins.module_utils.pdf``.
"""

from __future__ import annotations

PAGE_WIDTH = 612  # US Letter, points
PAGE_HEIGHT = 792
LINES_PER_PAGE = 60


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content_stream(lines: list[str], font_size: int) -> bytes:
    leading = font_size + 3
    out = [b"BT", f"/F1 {font_size} Tf".encode(), f"{leading} TL".encode(), f"50 {PAGE_HEIGHT - 60} Td".encode()]
    for line in lines:
        out.append(b"(" + _escape(line) + b") Tj T*")
    out.append(b"ET")
    return b"\n".join(out) + b"\n"


def make_pdf(lines: list[str], *, font_size: int = 10, padding: int = 0) -> bytes:
    """Return the bytes of a PDF showing ``lines`` (split over pages of LINES_PER_PAGE)."""
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    page_tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids = []
    for page_lines in pages:
        stream = _content_stream(page_lines, font_size)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (page_tree, PAGE_WIDTH, PAGE_HEIGHT, font, content)
            )
        )
    extra = b""
    if padding:
        blob = (b"% padding for size tests " * (padding // 25 + 1))[:padding]
        pad_id = add(b"<< /Length %d >>\nstream\n" % len(blob) + blob + b"\nendstream")
        extra = b" /PieceInfo << /Padding %d 0 R >>" % pad_id
    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R%s >>" % (page_tree, extra)
    objects[page_tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)
