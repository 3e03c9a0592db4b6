"""The four Express gateway operations, as methods of moto's ECS responses (JSON 1.1).

``extensions/ecs_express.py`` adds these methods to moto's ``EC2ContainerServiceResponse``,
so moto dispatches ``AmazonEC2ContainerServiceV20141113.CreateExpressGatewayService`` to
``create_express_gateway_service`` like its own ECS actions. Each request is validated
against botocore's ``ecs`` model (``tools/localaws/validation.py``) before the backend runs:
a request that breaks the model gets ``InvalidParameterException`` with AWS's
"N validation error(s) detected: ..." message.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from moto.core.responses import ActionResult

from tools.localaws.ecs_express.exceptions import InvalidParameterException
from tools.localaws.ecs_express.models import ECSExpressBackend, ecsexpress_backends
from tools.localaws.validation import validation_errors, validation_message

OPERATIONS = (
    "CreateExpressGatewayService",
    "UpdateExpressGatewayService",
    "DescribeExpressGatewayService",
    "DeleteExpressGatewayService",
)


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("ecs")


def backend_of(response: Any) -> ECSExpressBackend:
    return ecsexpress_backends[response.current_account][response.region]


def validated(response: Any, operation: str) -> dict[str, Any]:
    """The request body, checked against the operation's input shape."""
    try:
        params = json.loads(response.body or "{}")
    except ValueError:
        params = None
    if not isinstance(params, dict):
        raise InvalidParameterException("The request body is not a JSON object.")
    errors = validation_errors(service_model().operation_model(operation), params)
    if errors:
        raise InvalidParameterException(validation_message(errors))
    return params


def create_express_gateway_service(self: Any) -> ActionResult:
    params = validated(self, "CreateExpressGatewayService")
    return ActionResult({"service": backend_of(self).create_service(params)})


def describe_express_gateway_service(self: Any) -> ActionResult:
    params = validated(self, "DescribeExpressGatewayService")
    service = backend_of(self).describe_service(params["serviceArn"], list(params.get("include") or []))
    return ActionResult({"service": service})


def update_express_gateway_service(self: Any) -> ActionResult:
    params = validated(self, "UpdateExpressGatewayService")
    return ActionResult({"service": backend_of(self).update_service(params)})


def delete_express_gateway_service(self: Any) -> ActionResult:
    params = validated(self, "DeleteExpressGatewayService")
    return ActionResult({"service": backend_of(self).delete_service(params["serviceArn"])})


METHODS = {
    "create_express_gateway_service": create_express_gateway_service,
    "describe_express_gateway_service": describe_express_gateway_service,
    "update_express_gateway_service": update_express_gateway_service,
    "delete_express_gateway_service": delete_express_gateway_service,
}
