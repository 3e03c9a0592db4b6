"""App Runner's error shapes (botocore model ``apprunner``), serialised by moto as ``__type``."""

from tools.localaws.exceptions import ErrorShape


class InvalidRequestException(ErrorShape):
    """One or more input parameters aren't valid."""


class InvalidStateException(ErrorShape):
    """The action can't be performed while the resource is in its current state."""


class ResourceNotFoundException(ErrorShape):
    """No resource has the ARN in this account."""


class ServiceQuotaExceededException(ErrorShape):
    """The account's quota for the resource type is reached."""
