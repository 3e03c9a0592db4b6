"""App Runner's error shapes (botocore model ``apprunner``), serialised by moto as ``__type``."""

from moto.core.exceptions import ServiceException


class InvalidRequestException(ServiceException):
    code = "InvalidRequestException"


class InvalidStateException(ServiceException):
    code = "InvalidStateException"


class ResourceNotFoundException(ServiceException):
    code = "ResourceNotFoundException"


class ServiceQuotaExceededException(ServiceException):
    code = "ServiceQuotaExceededException"
