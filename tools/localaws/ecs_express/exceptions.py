"""ECS's error shapes (botocore model ``ecs``) that the Express operations raise, serialised by moto as ``__type``."""

from tools.localaws.exceptions import ErrorShape


class InvalidParameterException(ErrorShape):
    """A parameter isn't valid."""


class ClientException(ErrorShape):
    """An error of the caller's making (an action or identifier that isn't valid)."""


class ClusterNotFoundException(ErrorShape):
    message = "Cluster not found."


class ServiceNotFoundException(ErrorShape):
    message = "Service not found."


class ServiceNotActiveException(ErrorShape):
    message = "Service was not ACTIVE."


class ResourceNotFoundException(ErrorShape):
    """The resource wasn't found."""
