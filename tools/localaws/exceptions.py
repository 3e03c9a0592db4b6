"""The base of the error shapes the local endpoint raises itself (App Runner, ECS Express, CloudFront)."""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import ServiceException


class ErrorShape(ServiceException):
    """A moto ``ServiceException`` named after the botocore error shape it is serialised as: the
    class name is its ``code`` (``__type``). A fixed ``message`` may be a class attribute too, with
    ``{placeholders}`` filled from keyword arguments (moto's ``ServiceException`` does that)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = cls.__name__
