"""S3 bucket policies evaluated the way AWS does for requests made over TLS.

moto 5.2 evaluates a bucket policy's statements without their conditions: operators it does
not know (``Bool``, ``ArnLike``, ...) count as met, and a statement whose condition fails is
treated as a Deny. A TLS-only policy (Deny when ``aws:SecureTransport`` is ``false``), which
the storage role puts on every bucket, then refuses every request, and the CloudFront-only
Allow of the frontend bucket applies to everyone.

This fix evaluates conditions before moto looks at a statement, in the request context of a
client of AWS's HTTPS endpoints (the local endpoint has no TLS; boto3 against AWS always
uses it): ``aws:SecureTransport`` is ``true``. A statement applies only when every condition
holds; a condition on a key the context lacks does not hold (as in AWS, ``...IfExists``
operators aside), so a statement scoped to a CloudFront distribution's ``AWS:SourceArn``
does not apply to ordinary callers.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

REQUEST_CONTEXT = {"aws:securetransport": "true"}


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


_OPERATORS = {
    "Bool": lambda actual, wanted: actual.lower() in {w.lower() for w in wanted},
    "StringEquals": lambda actual, wanted: actual in wanted,
    "ArnEquals": lambda actual, wanted: actual in wanted,
    "StringNotEquals": lambda actual, wanted: actual not in wanted,
    "ArnNotEquals": lambda actual, wanted: actual not in wanted,
    "StringLike": lambda actual, wanted: any(fnmatch.fnmatchcase(actual, w) for w in wanted),
    "ArnLike": lambda actual, wanted: any(fnmatch.fnmatchcase(actual, w) for w in wanted),
    "StringNotLike": lambda actual, wanted: not any(fnmatch.fnmatchcase(actual, w) for w in wanted),
    "ArnNotLike": lambda actual, wanted: not any(fnmatch.fnmatchcase(actual, w) for w in wanted),
}


def _holds(operator: str, key: str, expected: Any, context: dict[str, str] | None = None) -> bool:
    if_exists = operator.endswith("IfExists")
    op = operator.removesuffix("IfExists")
    actual = (REQUEST_CONTEXT if context is None else context).get(key.lower())
    if op == "Null":  # "true": the key must be absent
        return (actual is None) is (str(expected).lower() == "true")
    if actual is None:
        return if_exists
    check = _OPERATORS.get(op)
    # an operator this fix does not know: the statement does not apply
    return check is not None and check(actual, _values(expected))


def conditions_hold(statement: dict[str, Any], context: dict[str, str] | None = None) -> bool:
    """Every condition of ``statement`` holds in ``context`` (lower-case keys; default: a TLS client)."""
    conditions = statement.get("Condition") or {}
    return all(
        _holds(op, key, expected, context) for op, block in conditions.items() for key, expected in block.items()
    )


def applicable_policy(policy: bytes | str) -> str | None:
    """The policy reduced to the statements whose conditions hold, without the conditions."""
    document = json.loads(policy)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = [{k: v for k, v in st.items() if k != "Condition"} for st in statements if conditions_hold(st)]
    if not kept:
        return None
    return json.dumps({**document, "Statement": kept})


def register() -> None:
    """Patch moto's S3 bucket permission check (idempotent)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult  # noqa: PLC0415
    from moto.s3.models import FakeBucket  # noqa: PLC0415

    if getattr(FakeBucket, "_localaws_policy_fix", False):
        return

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = applicable_policy(self.policy)
        if policy is None:
            return PermissionResult.NEUTRAL
        return IAMPolicy(policy).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    FakeBucket._localaws_policy_fix = True  # type: ignore[attr-defined]
