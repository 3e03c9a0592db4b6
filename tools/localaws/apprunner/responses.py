"""App Runner's JSON 1.0 API: parse, validate against botocore's model, call the backend.

moto's ``BaseResponse`` picks the method from ``X-Amz-Target`` (``AppRunner.CreateService``
-> ``create_service``) and serialises the returned ``ActionResult`` and any raised
``ServiceException`` with botocore's ``apprunner`` output and error shapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from moto.core.exceptions import InvalidToken
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import camelcase_to_underscores

from tools.localaws.apprunner.exceptions import InvalidRequestException
from tools.localaws.apprunner.models import AppRunnerBackend, apprunner_backends
from tools.localaws.apprunner.utils import decodes_to_object
from tools.localaws.validation import validation_errors, validation_message


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("apprunner")


class AppRunnerResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="apprunner")

    @property
    def backend(self) -> AppRunnerBackend:
        return apprunner_backends[self.current_account][self.region]

    def call_action(self) -> Any:
        operation = self._get_action() or ""
        if operation not in service_model().operation_names or not hasattr(self, camelcase_to_underscores(operation)):
            body = {
                "__type": "NotImplemented",
                "message": f"localaws: App Runner operation {operation or '(none)'!r} is not implemented by the "
                "local endpoint (tools/localaws/apprunner)",
            }
            return 501, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(body)
        self._params = self._load_params()
        return super().call_action()

    def _load_params(self) -> dict[str, Any]:
        raw = self.body or "{}"
        try:
            params = json.loads(raw)
        except ValueError:
            return {"__invalid_json__": True}
        return params if isinstance(params, dict) else {"__invalid_json__": True}

    def _validated(self) -> dict[str, Any]:
        if self._params.get("__invalid_json__"):
            raise InvalidRequestException("The request body is not a JSON object")
        operation = service_model().operation_model(self._get_action())
        errors = validation_errors(operation, self._params)
        if errors:
            raise InvalidRequestException(validation_message(errors))
        return self._params

    def _page(self, params: dict[str, Any], list_call: Callable[..., Any], **filters: Any) -> Any:
        """``list_call(**filters)`` for the request's MaxResults and NextToken (moto's paginator). A token
        it refuses (not issued by this endpoint for this call and these filters, or whose next item has
        gone since) is App Runner's InvalidRequestException."""
        token = params.get("NextToken") or None
        try:
            if token is not None and not decodes_to_object(token):
                raise InvalidToken()
            return list_call(**filters, max_results=params.get("MaxResults"), next_token=token)
        except InvalidToken as exc:
            raise InvalidRequestException(f"Invalid NextToken: {token!r} was not returned by this API") from exc

    # -- services ----------------------------------------------------------------------------

    def create_service(self) -> ActionResult:
        service, operation_id = self.backend.create_service(self._validated())
        return ActionResult({"Service": service, "OperationId": operation_id})

    def describe_service(self) -> ActionResult:
        params = self._validated()
        return ActionResult({"Service": self.backend.describe_service(params["ServiceArn"])})

    def list_services(self) -> ActionResult:
        params = self._validated()
        services, token = self._page(params, self.backend.list_services)
        return ActionResult({"ServiceSummaryList": services, "NextToken": token})

    def update_service(self) -> ActionResult:
        service, operation_id = self.backend.update_service(self._validated())
        return ActionResult({"Service": service, "OperationId": operation_id})

    def delete_service(self) -> ActionResult:
        service, operation_id = self.backend.delete_service(self._validated()["ServiceArn"])
        return ActionResult({"Service": service, "OperationId": operation_id})

    def pause_service(self) -> ActionResult:
        service, operation_id = self.backend.pause_service(self._validated()["ServiceArn"])
        return ActionResult({"Service": service, "OperationId": operation_id})

    def resume_service(self) -> ActionResult:
        service, operation_id = self.backend.resume_service(self._validated()["ServiceArn"])
        return ActionResult({"Service": service, "OperationId": operation_id})

    def start_deployment(self) -> ActionResult:
        return ActionResult({"OperationId": self.backend.start_deployment(self._validated()["ServiceArn"])})

    def list_operations(self) -> ActionResult:
        params = self._validated()
        operations, token = self._page(params, self.backend.list_operations, arn=params["ServiceArn"])
        return ActionResult({"OperationSummaryList": operations, "NextToken": token})

    # -- custom domains ----------------------------------------------------------------------

    def associate_custom_domain(self) -> ActionResult:
        params = self._validated()
        return ActionResult(
            self.backend.associate_custom_domain(
                params["ServiceArn"], params["DomainName"], params.get("EnableWWWSubdomain", True)
            )
        )

    def describe_custom_domains(self) -> ActionResult:
        params = self._validated()
        result, token = self._page(params, self.backend.describe_custom_domains, arn=params["ServiceArn"])
        return ActionResult({**result, "NextToken": token})

    def disassociate_custom_domain(self) -> ActionResult:
        params = self._validated()
        return ActionResult(self.backend.disassociate_custom_domain(params["ServiceArn"], params["DomainName"]))

    def _list_revisions(self, list_call: Any, kind: str) -> ActionResult:
        """A List*Configurations call: by <kind>Name, LatestOnly, MaxResults and NextToken."""
        params = self._validated()
        configs, token = self._page(
            params, list_call, name=params.get(f"{kind}Name"), latest_only=bool(params.get("LatestOnly"))
        )
        return ActionResult({f"{kind}SummaryList": configs, "NextToken": token})

    def _on_arn(self, call: Callable[[str], dict[str, Any]], kind: str) -> ActionResult:
        """A call on one revisioned resource by its <kind>Arn, answered as ``{<kind>: ...}``."""
        return ActionResult({kind: call(self._validated()[f"{kind}Arn"])})

    # -- auto scaling configurations ---------------------------------------------------------

    def create_auto_scaling_configuration(self) -> ActionResult:
        config = self.backend.create_auto_scaling_configuration(self._validated())
        return ActionResult({"AutoScalingConfiguration": config})

    def describe_auto_scaling_configuration(self) -> ActionResult:
        return self._on_arn(self.backend.describe_auto_scaling_configuration, "AutoScalingConfiguration")

    def list_auto_scaling_configurations(self) -> ActionResult:
        return self._list_revisions(self.backend.list_auto_scaling_configurations, "AutoScalingConfiguration")

    def delete_auto_scaling_configuration(self) -> ActionResult:
        params = self._validated()
        config = self.backend.delete_auto_scaling_configuration(
            params["AutoScalingConfigurationArn"], bool(params.get("DeleteAllRevisions"))
        )
        return ActionResult({"AutoScalingConfiguration": config})

    def update_default_auto_scaling_configuration(self) -> ActionResult:
        return self._on_arn(self.backend.update_default_auto_scaling_configuration, "AutoScalingConfiguration")

    def list_services_for_auto_scaling_configuration(self) -> ActionResult:
        params = self._validated()
        arns, token = self._page(
            params, self.backend.list_services_for_auto_scaling_configuration, arn=params["AutoScalingConfigurationArn"]
        )
        return ActionResult({"ServiceArnList": arns, "NextToken": token})

    # -- VPC connectors ----------------------------------------------------------------------

    def create_vpc_connector(self) -> ActionResult:
        return ActionResult({"VpcConnector": self.backend.create_vpc_connector(self._validated())})

    def describe_vpc_connector(self) -> ActionResult:
        return self._on_arn(self.backend.describe_vpc_connector, "VpcConnector")

    def list_vpc_connectors(self) -> ActionResult:
        params = self._validated()
        connectors, token = self._page(params, self.backend.list_vpc_connectors)
        return ActionResult({"VpcConnectors": connectors, "NextToken": token})

    def delete_vpc_connector(self) -> ActionResult:
        return self._on_arn(self.backend.delete_vpc_connector, "VpcConnector")

    # -- observability configurations -------------------------------------------------------

    def create_observability_configuration(self) -> ActionResult:
        config = self.backend.create_observability_configuration(self._validated())
        return ActionResult({"ObservabilityConfiguration": config})

    def describe_observability_configuration(self) -> ActionResult:
        return self._on_arn(self.backend.describe_observability_configuration, "ObservabilityConfiguration")

    def list_observability_configurations(self) -> ActionResult:
        return self._list_revisions(self.backend.list_observability_configurations, "ObservabilityConfiguration")

    def delete_observability_configuration(self) -> ActionResult:
        return self._on_arn(self.backend.delete_observability_configuration, "ObservabilityConfiguration")

    # -- connections -------------------------------------------------------------------------

    def create_connection(self) -> ActionResult:
        params = self._validated()
        connection = self.backend.create_connection(
            params["ConnectionName"], params["ProviderType"], params.get("Tags")
        )
        return ActionResult({"Connection": connection})

    def list_connections(self) -> ActionResult:
        params = self._validated()
        connections, token = self._page(params, self.backend.list_connections, name=params.get("ConnectionName"))
        return ActionResult({"ConnectionSummaryList": connections, "NextToken": token})

    def delete_connection(self) -> ActionResult:
        return ActionResult({"Connection": self.backend.delete_connection(self._validated()["ConnectionArn"])})

    # -- tags --------------------------------------------------------------------------------

    def tag_resource(self) -> ActionResult:
        params = self._validated()
        self.backend.tag_resource(params["ResourceArn"], params["Tags"])
        return ActionResult({})

    def untag_resource(self) -> ActionResult:
        params = self._validated()
        self.backend.untag_resource(params["ResourceArn"], params["TagKeys"])
        return ActionResult({})

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"Tags": self.backend.list_tags_for_resource(self._validated()["ResourceArn"])})
