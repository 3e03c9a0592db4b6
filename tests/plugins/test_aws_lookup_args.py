"""invoice.platform.aws_lookup_args: the look-ups connect where the modules connect."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.invoice.platform.plugins.filter.aws_lookup_args import FilterModule


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("eu-west-1",), {"region": "eu-west-1"}),
        (("eu-west-1", "", "", ""), {"region": "eu-west-1"}),
        (("us-east-1", "http://127.0.0.1:4566"), {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:4566"}),
        (("us-east-1", "", "AKIA1", "s3cr3t"), {"region": "us-east-1", "access_key": "AKIA1", "secret_key": "s3cr3t"}),
        (("us-east-1", "", "", "ignored"), {"region": "us-east-1"}),  # a secret key without its id is not used
    ],
)
def test_only_the_options_that_are_set(args: tuple[str, ...], expected: dict[str, Any]) -> None:
    assert FilterModule().filters()["aws_lookup_args"](*args) == expected
