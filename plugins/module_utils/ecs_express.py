# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared code of the ECS Express Mode modules (invoice.platform.ecs_express_service*).

Clients passed in are made with ``retry_decorator=AWSRetry.jittered_backoff()``; every call
here passes ``aws_retry=True``. Errors are raised as :class:`AnsibleECSExpressError` whose
message names the action and carries the AWS error; modules end with
``apprunner.run_module``-style :func:`run_module`.

An Express service is found through its ECS service (DescribeServices by name in its
cluster gives the ARN), then described with DescribeExpressGatewayService. Deployments are
followed on the ECS service's ``deployments`` (``_ecs_express/waiters.py``).
"""

try:
    import botocore
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.invoice.platform.plugins.module_utils._apprunner.waiters import waiter_config
from ansible_collections.invoice.platform.plugins.module_utils._ecs_express.waiters import ECSExpressWaiterFactory
from ansible_collections.invoice.platform.plugins.module_utils.apprunner import snake_keep_user_keys

DEFAULT_CLUSTER = "default"


class AnsibleECSExpressError(AnsibleAWSError):
    pass


class ECSExpressErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSExpressError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            ["ResourceNotFoundException", "ServiceNotFoundException", "ClusterNotFoundException"]
        )


def run_module(module, converge):
    """Exit with the result of ``converge()``: its ``diff`` only in diff mode, AWS errors as failures."""
    try:
        result = converge()
    except AnsibleAWSError as e:  # also the secret look-ups shared with App Runner (AnsibleAppRunnerError)
        module.fail_json_aws_error(e)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


# ---- finding and describing ----------------------------------------------------------------


@ECSExpressErrorHandler.list_error_handler("describe ECS service {name} in cluster {cluster}", None)
def describe_ecs_service(client, cluster, name):
    """The ECS service called ``name`` (not INACTIVE) in ``cluster``, or None (also when the cluster is missing)."""
    for service in client.describe_services(aws_retry=True, cluster=cluster, services=[name]).get("services", []):
        if service.get("status") != "INACTIVE":
            return service
    return None


@ECSExpressErrorHandler.list_error_handler("describe ECS Express service {arn}", None)
def describe_express_service(client, arn):
    return client.describe_express_gateway_service(aws_retry=True, serviceArn=arn, include=["TAGS"])["service"]


def find_express_service(client, cluster, name):
    """The live Express service called ``name`` in ``cluster`` as DescribeExpressGatewayService returns it, or None.

    Raises when an ECS service of that name exists but is not an Express service.
    """
    ecs_service = describe_ecs_service(client, cluster, name)
    if ecs_service is None:
        return None
    service = describe_express_service(client, ecs_service["serviceArn"])
    if service is None:
        raise AnsibleECSExpressError(
            message=f"ECS service {name} in cluster {cluster} exists but is not an ECS Express service; "
            "choose another name or delete that service"
        )
    if service.get("status", {}).get("statusCode") == "INACTIVE":
        return None
    return service


@ECSExpressErrorHandler.list_error_handler("list the services of ECS cluster {cluster}", [])
def list_service_arns(client, cluster):
    arns = []
    for page in client.get_paginator("list_services").paginate(cluster=cluster):
        arns.extend(page.get("serviceArns", []))
    return arns


def current_configuration(service):
    """The configuration the service runs or rolls out: the newest of its active configurations."""
    configurations = sorted(service.get("activeConfigurations") or [], key=lambda c: c.get("createdAt") or 0)
    return configurations[-1] if configurations else {}


def service_url(service):
    """The endpoint of the service's newest configuration (``127.0.0.1:<port>`` on the local endpoint)."""
    for path in current_configuration(service).get("ingressPaths") or []:
        return path.get("endpoint")
    return None


def to_ansible(service):
    """The service with snake_case keys, tags as a dict, its URL as ``service_url``."""
    result = snake_keep_user_keys({k: v for k, v in service.items() if k != "tags"})
    result["tags"] = boto3_tag_list_to_ansible_dict(service.get("tags") or [], "key", "value")
    result["service_url"] = service_url(service)
    return result


# ---- changes ---------------------------------------------------------------------------------


@ECSExpressErrorHandler.common_error_handler("create ECS Express service {params[serviceName]}")
def create_express_service(client, params):
    return client.create_express_gateway_service(aws_retry=True, **params)["service"]


@ECSExpressErrorHandler.common_error_handler("update ECS Express service {arn}")
def update_express_service(client, arn, params):
    return client.update_express_gateway_service(aws_retry=True, serviceArn=arn, **params)["service"]


@ECSExpressErrorHandler.deletion_error_handler("delete ECS Express service {arn}")
def delete_express_service(client, arn):
    return client.delete_express_gateway_service(aws_retry=True, serviceArn=arn)["service"]


@ECSExpressErrorHandler.common_error_handler("update tags of {arn}")
def apply_tag_changes(client, arn, to_add, to_remove):
    """UntagResource / TagResource (ECS's lower-case key/value tags); no call when nothing differs."""
    if to_remove:
        client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=to_remove)
    if to_add:
        client.tag_resource(
            aws_retry=True, resourceArn=arn, tags=[dict(key=k, value=v) for k, v in sorted(to_add.items())]
        )
    return bool(to_add or to_remove)


# ---- waits ----------------------------------------------------------------------------------


def _wait(client, name, timeout, what, **params):
    waiter = ECSExpressWaiterFactory().get_waiter(client, name)
    try:
        waiter.wait(WaiterConfig=waiter_config(timeout), **params)
    except botocore.exceptions.WaiterError as e:
        if "Max attempts exceeded" in str(e):
            raise AnsibleECSExpressError(
                message=f"Timed out after {timeout}s waiting for {what}; raise wait_timeout or read the service's "
                "events"
            ) from e
        raise AnsibleECSExpressError(message=f"Gave up waiting for {what}: {e}", exception=e) from e


def wait_for_deployment(client, cluster, arn, revision_arn, timeout):
    """Wait until the service's deployment is over; raise if the revision ``revision_arn`` was rolled back."""
    what = f"the deployment of ECS Express service {arn}"
    _wait(client, "deployment_finished", timeout, what, cluster=cluster, services=[arn])
    failed = [
        d
        for service in client.describe_services(aws_retry=True, cluster=cluster, services=[arn]).get("services", [])
        for d in service.get("deployments", [])
        if d.get("rolloutState") == "FAILED"
    ]
    service = describe_express_service(client, arn) or {}
    if current_configuration(service).get("serviceRevisionArn") != revision_arn:
        reason = failed[0].get("rolloutStateReason") if failed else "the new revision is not the active one"
        raise AnsibleECSExpressError(
            message=f"The deployment of ECS Express service {arn} was rolled back: {reason}. The service runs its "
            "previous configuration; read the service's events and its log group for the cause"
        )
    return service


def wait_for_deletion(client, arn, timeout):
    _wait(client, "express_service_inactive", timeout, f"the deletion of ECS Express service {arn}", serviceArn=arn)
