"""ECS's error shapes (botocore model ``ecs``) that the Express operations raise, serialised by moto as ``__type``."""

from moto.core.exceptions import ServiceException


class InvalidParameterException(ServiceException):
    code = "InvalidParameterException"


class ClientException(ServiceException):
    code = "ClientException"


class ClusterNotFoundException(ServiceException):
    code = "ClusterNotFoundException"

    def __init__(self) -> None:
        super().__init__("Cluster not found.")


class ServiceNotFoundException(ServiceException):
    code = "ServiceNotFoundException"

    def __init__(self) -> None:
        super().__init__("Service not found.")


class ServiceNotActiveException(ServiceException):
    code = "ServiceNotActiveException"

    def __init__(self) -> None:
        super().__init__("Service was not ACTIVE.")


class ResourceNotFoundException(ServiceException):
    code = "ResourceNotFoundException"
