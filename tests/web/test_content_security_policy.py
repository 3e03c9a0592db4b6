"""The built index.html's Content-Security-Policy (frontend/vite.config.ts): the application runs
under it, and a document opened from a blob: URL (an uploaded HTML file opened outside its
sandboxed frame, say with "Open frame in new tab") inherits it and runs no script."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.conftest import DIST


def test_the_built_page_declares_a_policy_without_inline_scripts() -> None:
    html = (DIST / "index.html").read_text()
    assert 'http-equiv="Content-Security-Policy"' in html
    assert "script-src &#39;self&#39;;" in html and "unsafe-inline&#39;; img-src" in html  # styles only


def test_a_blob_document_opened_from_the_app_runs_no_script(page: Page) -> None:
    page.goto("/signin")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    with page.context.expect_page() as opened:
        page.evaluate(
            """() => {
                const html = "<title>untouched</title><p>uploaded</p><script>document.title = 'script ran'</script>";
                window.open(URL.createObjectURL(new Blob([html], { type: "text/html" })), "_blank");
            }"""
        )
    document = opened.value
    expect(document.get_by_text("uploaded")).to_be_visible()
    assert document.title() == "untouched"
