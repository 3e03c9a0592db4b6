#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: verify_upload_probe
short_description: An invoice upload and its extraction end to end, as a probe user, then deleted
version_added: 0.3.0
description:
  - With O(state=present), signs in to the API as the probe user, uploads a small generated
    invoice PDF (its number is O(invoice_number)) to O(vendor), waits at most O(timeout) seconds
    for the upload and its extraction (the API extracts during the upload request), reads the
    stored invoice back and checks the extracted invoice number and total. Whatever happens after
    the upload, the invoice and its file are deleted through the API (C(DELETE /api/invoices/{id}))
    before the module returns.
  - With O(state=absent), signs in and deletes every invoice whose number is O(invoice_number)
    (the run's own; a request that timed out may still have stored one), the cleanup of an
    C(always) block. Finding none is the normal case and reports nothing.
  - Writes to the application (one invoice and its file, then their deletion, one sign-in each)
    and reads the password from SSM or Secrets Manager; never writes to AWS itself. In check mode
    nothing is uploaded (reported as WARN).
author:
  - Invoice platform team (@invoice-platform)
options:
  api_url:
    description: Base URL of the API.
    type: str
    required: true
  email:
    description: The probe user (role reviewer or above, which uploads and deletes invoices).
    type: str
    required: true
  password:
    description: The probe user's password (from the controller's environment); never printed.
    type: str
    default: ""
  password_parameter:
    description: Name of an SSM SecureString holding the password (read with decryption).
    type: str
    default: ""
  password_secret:
    description: Name or ARN of a Secrets Manager secret holding the password (its SecretString).
    type: str
    default: ""
  vendor:
    description: Name of the vendor the invoice is uploaded to; empty - the first active vendor the API lists.
    type: str
    default: ""
  invoice_number:
    description: The probe invoice's number (unique per run; it must start with C(VERIFY-PROBE-)).
    type: str
    required: true
  timeout:
    description: Seconds the upload and its extraction may take (also each other request's limit).
    type: float
    default: 120
  state:
    description: C(present) - probe (and delete); C(absent) - delete any invoice with O(invoice_number).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Upload a probe invoice and wait for its extraction
  invoice.platform.verify_upload_probe:
    api_url: https://api.invoice-processing.com
    email: verify-probe@invoice-processing.com
    password_parameter: /invoice/prod/verify-probe-password
    invoice_number: VERIFY-PROBE-1764700000-3f2a
  register: upload
"""

RETURN = r"""
results:
  description:
    - One entry (check C(performance.upload)) with the invoice id, upload ms and extraction seconds, or the failed step.
  returned: always
  type: list
  elements: dict
invoice_id:
  description: The probe invoice's id (empty when none was stored).
  returned: always
  type: str
deleted:
  description: Ids of the invoices the module deleted.
  returned: always
  type: list
  elements: str
"""

import datetime
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils import verify as v


class StepFailed(Exception):
    def __init__(self, step, detail):
        super().__init__(f"{step}: {detail}")
        self.step, self.detail = step, detail


class Api:
    def __init__(self, base, timeout):
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise StepFailed("sign-in", f"not an http(s) URL: {base}")
        self.base, self.timeout, self.token = base.rstrip("/"), timeout, ""

    def call(self, step, method, path, *, body=None, content_type="application/json", timeout=None):
        """(status, decoded JSON body, ms); a transport error is a StepFailed naming the step."""
        headers = {"User-Agent": "invoice-platform-verify", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)  # noqa: S310
        start = time.monotonic()
        try:
            # B310: the scheme is checked in __init__, http or https only
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:  # noqa: S310  # nosec B310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise StepFailed(step, f"{method} {path}: {e}") from None
        ms = (time.monotonic() - start) * 1000
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        return status, data, ms

    def sign_in(self, email, password):
        status, data, _ms = self.call(
            "sign-in", "POST", "/api/auth/login", body=json.dumps({"email": email, "password": password}).encode()
        )
        if status != 200 or not data.get("token"):
            raise StepFailed("sign-in refused", f"HTTP {status} {error_text(data)} for {email}")
        self.token = data["token"]

    def delete_invoice(self, invoice_id):
        status, data, _ms = self.call("cleanup", "DELETE", f"/api/invoices/{invoice_id}")
        if status not in (200, 404):
            raise StepFailed("cleanup", f"DELETE /api/invoices/{invoice_id}: HTTP {status} {error_text(data)}")
        status, data, _ms = self.call("cleanup", "GET", f"/api/invoices/{invoice_id}")
        if status != 404:
            raise StepFailed("cleanup", f"invoice {invoice_id} still there after its deletion (HTTP {status})")

    def invoices_numbered(self, number):
        query = urllib.parse.urlencode({"search": number, "limit": 100})
        status, data, _ms = self.call("cleanup", "GET", f"/api/invoices?{query}")
        if status != 200:
            raise StepFailed("cleanup", f"GET /api/invoices: HTTP {status} {error_text(data)}")
        return [str(i["id"]) for i in data.get("invoices", []) if i.get("invoice_number") == number]


def error_text(data):
    if isinstance(data, dict):
        return str(data.get("error") or data.get("message") or data.get("detail") or "")
    return ""


def multipart(fields, filename, content, media_type):
    boundary = f"verify-{uuid.uuid4().hex}"
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="invoice"; filename="{filename}"\r\n'
        f"Content-Type: {media_type}\r\n\r\n"
    ).encode()
    out += content + f"\r\n--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def read_password(module):
    p = module.params
    if p["password_parameter"]:
        ssm = module.client("ssm", retry_decorator=AWSRetry.jittered_backoff())
        try:
            return ssm.get_parameter(Name=p["password_parameter"], WithDecryption=True, aws_retry=True)["Parameter"][
                "Value"
            ]
        except (BotoCoreError, ClientError) as e:
            raise StepFailed("sign-in", f"cannot read the SSM parameter {p['password_parameter']}: {e}") from None
    if p["password_secret"]:
        secrets = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
        try:
            return secrets.get_secret_value(SecretId=p["password_secret"], aws_retry=True)["SecretString"]
        except (BotoCoreError, ClientError, KeyError) as e:
            raise StepFailed("sign-in", f"cannot read the secret {p['password_secret']}: {e}") from None
    if not p["password"]:
        raise StepFailed("sign-in", "no password (the environment variable, SSM parameter or secret is empty)")
    return p["password"]


def pick_vendor(api, name):
    status, data, _ms = api.call("upload", "GET", "/api/vendors?active=true")
    if status != 200:
        raise StepFailed("upload", f"cannot list vendors: HTTP {status} {error_text(data)}")
    vendors = [x for x in data.get("vendors", []) if x.get("active", True)]
    if name:
        vendors = [
            x
            for x in vendors
            if name.lower() in (str(x.get("name", "")).lower(), str(x.get("display_name") or "").lower())
        ]
    if not vendors:
        raise StepFailed("upload", f"no active vendor {name or ''} to upload to".replace("  ", " "))
    return vendors[0]


def probe(module, api, deleted):
    """The probe: sign-in, upload, extraction check. Returns (result, invoice id)."""
    p = module.params
    api.sign_in(p["email"], read_password(module))
    vendor = pick_vendor(api, p["vendor"])
    lines, expected = v.probe_invoice(p["invoice_number"], datetime.date.today())
    body, content_type = multipart(
        {"vendor_id": vendor["id"]}, f"{p['invoice_number']}.pdf", v.probe_pdf(lines), "application/pdf"
    )
    try:
        status, data, upload_ms = api.call(
            "upload", "POST", "/api/invoices/upload", body=body, content_type=content_type, timeout=p["timeout"]
        )
    except StepFailed as e:
        if "timed out" in e.detail:
            raise StepFailed("extraction timeout", f"no answer within {p['timeout']:g} s ({e.detail})") from None
        raise
    invoice_id = str((data.get("invoice") or {}).get("id") or "")
    if status != 201 or not invoice_id:
        raise StepFailed("upload status", f"HTTP {status} {error_text(data)}")
    try:
        status, stored, _ms = api.call("extraction", "GET", f"/api/invoices/{invoice_id}")
        if status != 200:
            raise StepFailed("extraction status", f"GET /api/invoices/{invoice_id}: HTTP {status} {error_text(stored)}")
        stored = stored.get("invoice", stored)
        if stored.get("processing_status") in ("failed", "error"):
            raise StepFailed("extraction status", f"invoice {invoice_id} {stored.get('processing_status')}")
        extraction_s = float(data["invoice"].get("processing_time_ms") or 0) / 1000
        return v.judge_upload({**stored, "id": invoice_id}, expected, upload_ms, extraction_s, p["timeout"]), invoice_id
    finally:
        api.delete_invoice(invoice_id)
        deleted.append(invoice_id)


def main():
    argument_spec = dict(
        api_url=dict(type="str", required=True),
        email=dict(type="str", required=True),
        password=dict(type="str", default="", no_log=True),
        password_parameter=dict(type="str", default="", no_log=False),
        password_secret=dict(type="str", default="", no_log=False),
        vendor=dict(type="str", default=""),
        invoice_number=dict(type="str", required=True),
        timeout=dict(type="float", default=120),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("password_parameter", "password_secret")],
        supports_check_mode=True,
    )
    p = module.params
    if not p["invoice_number"].startswith(v.PROBE_NUMBER_PREFIX):
        module.fail_json(msg=f"invoice_number must start with {v.PROBE_NUMBER_PREFIX}, got {p['invoice_number']}")
    if p["timeout"] <= 0:
        module.fail_json(msg=f"timeout must be positive, got {p['timeout']}")
    if module.check_mode:
        skipped = v.result(v.UPLOAD_CHECK, v.UPLOAD_RESOURCE, v.WARN, "skipped in check mode (the probe uploads)")
        module.exit_json(changed=False, results=[skipped] if p["state"] == "present" else [], invoice_id="", deleted=[])
    results, deleted, invoice_id = [], [], ""
    try:
        api = Api(p["api_url"], p["timeout"])
        if p["state"] == "present":
            found, invoice_id = probe(module, api, deleted)
            results.append(found)
        else:
            api.sign_in(p["email"], read_password(module))
            for leftover in api.invoices_numbered(p["invoice_number"]):
                api.delete_invoice(leftover)
                deleted.append(leftover)
            if deleted:
                results.append(
                    v.result(
                        v.UPLOAD_CHECK,
                        f"{v.UPLOAD_RESOURCE} (cleanup)",
                        v.WARN,
                        f"deleted invoice {', '.join(deleted)} ({p['invoice_number']}) the probe left"
                        " (an upload that timed out)",
                    )
                )
    except StepFailed as e:
        if p["state"] == "present":
            results.append(v.upload_failed(e.step, e.detail))
        elif not e.step.startswith("sign-in"):  # the probe could not sign in either: it stored nothing
            results.append(v.result(v.UPLOAD_CHECK, f"{v.UPLOAD_RESOURCE} (cleanup)", v.FAIL, f"{e.step}: {e.detail}"))
    module.exit_json(changed=False, results=results, invoice_id=invoice_id, deleted=deleted)


if __name__ == "__main__":
    main()
