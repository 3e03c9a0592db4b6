"""Validate a request's parameters against a botocore service model, the way AWS does.

botocore's client-side validation checks required members, types and minimums only, and a
client can switch it off (``Config(parameter_validation=False)``). AWS validates on the
server: lengths (min and max), patterns, enum values, integer ranges, list lengths, nested
structures and unknown members. :func:`validate` does the same, generically, for any
operation of any service model, and reports every problem in AWS's wording::

    1 validation error detected: Value 'x' at 'serviceName' failed to satisfy constraint:
    Member must have length greater than or equal to 4

Member paths are written as AWS writes them: lowerCamelCase member names joined by dots,
list items as ``tags.1.member.key`` (1-based). Values of sensitive shapes (for example
``StartCommand``) are never echoed: they appear as ``'***'``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

_MAX_ECHO = 100  # characters of a bad value quoted back in a message


@cache
def _compile(pattern: str) -> re.Pattern[str] | None:
    """AWS model patterns are Java regexes; the few Python cannot compile are skipped."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _join(path: str, name: str) -> str:
    return f"{path}.{_lower_camel(name)}" if path else _lower_camel(name)


def _echo(shape: Shape, value: Any) -> str:
    if shape.metadata.get("sensitive"):
        return "'***'"
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _MAX_ECHO:
        text = text[:_MAX_ECHO] + "..."
    return f"'{text}'"


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, shape: Shape, value: Any, path: str, constraint: str) -> None:
        self.errors.append(
            f"Value {_echo(shape, value)} at '{path}' failed to satisfy constraint: Member must {constraint}"
        )

    def check(self, shape: Shape, value: Any, path: str) -> None:
        if value is None:
            # JSON null for an optional member means "not given".
            return
        checker = getattr(self, f"_check_{shape.type_name}", None)
        if checker is not None:
            checker(shape, value, path)

    def _check_structure(self, shape: StructureShape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(shape, value, path, "be a structure (JSON object)")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                self.errors.append(
                    f"Value null at '{_join(path, name)}' failed to satisfy constraint: Member must not be null"
                )
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None:
                where = f"'{path}'" if path else "the request"
                self.errors.append(f"Unknown member '{name}' in {where}: {shape.name} has no member named {name}")
                continue
            self.check(member, member_value, _join(path, name))

    def _check_range(self, shape: Shape, value: Any, measure: float, path: str, *, what: str = "length") -> None:
        """The shape's min and max against ``measure``: the value's length, or (what="value") the number."""
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and measure < low:
            self.fail(shape, value, path, f"have {what} greater than or equal to {low}")
        if high is not None and measure > high:
            self.fail(shape, value, path, f"have {what} less than or equal to {high}")

    def _check_list(self, shape: ListShape, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.fail(shape, value, path, "be a list (JSON array)")
            return
        self._check_range(shape, value, len(value), path)
        for index, item in enumerate(value, start=1):
            self._check_member(shape.member, item, f"{path}.{index}.member")

    def _check_map(self, shape: MapShape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(shape, value, path, "be a map (JSON object)")
            return
        self._check_range(shape, value, len(value), path)
        for key, item in value.items():
            self.check(shape.key, key, f"{path}.key")
            self._check_member(shape.value, item, f"{path}.{key}")

    def _check_member(self, shape: Shape, item: Any, path: str) -> None:
        """A list member or map value: never null, else checked against its shape."""
        if item is None:
            self.errors.append(f"Value null at '{path}' failed to satisfy constraint: Member must not be null")
        else:
            self.check(shape, item, path)

    def _check_string(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self.fail(shape, value, path, "be a string")
            return
        self._check_range(shape, value, len(value), path)
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            self.fail(shape, value, path, f"satisfy enum value set: [{', '.join(enum)}]")
        pattern = shape.metadata.get("pattern")
        if pattern:
            compiled = _compile(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                self.fail(shape, value, path, f"satisfy regular expression pattern: {pattern}")

    def _check_number(self, shape: Shape, value: Any, path: str, kinds: tuple[type, ...], kind: str) -> None:
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.fail(shape, value, path, f"be {kind}")
            return
        self._check_range(shape, value, value, path, what="value")

    def _check_integer(self, shape: Shape, value: Any, path: str) -> None:
        self._check_number(shape, value, path, (int,), "an integer")

    _check_long = _check_integer

    def _check_float(self, shape: Shape, value: Any, path: str) -> None:
        self._check_number(shape, value, path, (int, float), "a number")

    _check_double = _check_float

    def _check_boolean(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.fail(shape, value, path, "be a boolean")

    def _check_timestamp(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(shape, value, path, "be a timestamp")

    def _check_blob(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, str | bytes):
            self.fail(shape, value, path, "be a blob (base64 string)")


def validation_errors(operation: OperationModel, params: Any) -> list[str]:
    """Every constraint ``params`` breaks, in AWS's wording (empty when valid)."""
    checker = _Checker()
    shape = operation.input_shape
    if shape is None:
        if params not in (None, {}):
            checker.errors.append(f"{operation.name} takes no parameters")
        return checker.errors
    checker.check(shape, {} if params is None else params, "")
    return checker.errors


def validation_message(errors: list[str]) -> str:
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(errors)
