"""The import's uploads and their verification (plugins/modules/import_data.py Uploader), with fake clients."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.invoice.platform.plugins.module_utils.importer import Upload
from ansible_collections.invoice.platform.plugins.modules.import_data import ImportProblem, Uploader


class FakeS3:
    """Stores what it is given; ``answer_checksum``: answer x-amz-checksum-sha256 as AWS does;
    ``corrupt``: store other bytes than it received (what a verification must catch)."""

    def __init__(self, *, answer_checksum: bool, corrupt: bool = False) -> None:
        self.answer_checksum = answer_checksum
        self.corrupt = corrupt
        self.objects: dict[str, bytes] = {}
        self.calls: list[str] = []

    def put_object(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("PutObject")
        data = kw["Body"].read()
        self.objects[kw["Key"]] = data + b"!" if self.corrupt else data
        stored = base64.b64encode(hashlib.sha256(self.objects[kw["Key"]]).digest()).decode()
        return {"ChecksumSHA256": stored} if self.answer_checksum else {}

    def get_object(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("GetObject")
        return {"Body": io.BytesIO(self.objects[kw["Key"]])}


def _upload(tmp_path: Path) -> Upload:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.4 invoice")
    return Upload("invoices/v/a.pdf", str(path), 16, hashlib.sha256(path.read_bytes()).hexdigest(), "application/pdf")


@pytest.mark.parametrize(("answer", "calls"), [(True, ["PutObject"]), (False, ["PutObject", "GetObject"])])
def test_verified_on_receipt_or_read_back(tmp_path: Path, answer: bool, calls: list[str]) -> None:
    s3 = FakeS3(answer_checksum=answer)
    uploader = Uploader(s3, "bucket", 2, verify=True)
    uploader.upload([_upload(tmp_path)])
    assert s3.calls == calls
    assert (uploader.uploaded, uploader.verified, uploader.verified_by_s3) == (1, 1, int(answer))


@pytest.mark.parametrize("answer", [True, False])
def test_a_corrupted_upload_fails(tmp_path: Path, answer: bool) -> None:
    uploader = Uploader(FakeS3(answer_checksum=answer, corrupt=True), "bucket", 2, verify=True)
    with pytest.raises(ImportProblem, match="differ from the originals"):
        uploader.upload([_upload(tmp_path)])
    assert uploader.mismatched == ["invoices/v/a.pdf"]
