# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared code of the App Runner modules (invoice.platform.apprunner_*).

Clients passed in are made with ``retry_decorator=AWSRetry.jittered_backoff()``; every
call here passes ``aws_retry=True``. Errors are raised as :class:`AnsibleAppRunnerError`
whose message names the action and carries the AWS error (code, operation, message);
modules end with :func:`run_module`, which turns them into ``fail_json_aws_error``.

Private helpers: ``_apprunner/transformations.py`` (option normalisation and comparison),
``_apprunner/waiters.py``, ``_apprunner/secrets.py`` (Secrets Manager and SSM reads),
``_apprunner/errors.py``.
"""

try:
    import botocore
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict
from ansible_collections.invoice.platform.plugins.module_utils._apprunner.errors import (
    AnsibleAppRunnerError,
    AppRunnerErrorHandler,
    is_not_yet_created,
    not_yet_created,
)
from ansible_collections.invoice.platform.plugins.module_utils._apprunner.secrets import (  # noqa: F401 (public)
    describe_secret,
    resolve_secret_map,
    resolve_secret_names,
    secret_versions_fingerprint,
)
from ansible_collections.invoice.platform.plugins.module_utils._apprunner.waiters import (
    AppRunnerWaiterFactory,
    waiter_config,
)
from ansible_collections.invoice.platform.plugins.module_utils._pagination import token_pages

# Operation outcomes that mean the change did not land.
FAILED_OPERATION_STATES = ("FAILED", "ROLLBACK_SUCCEEDED", "ROLLBACK_FAILED")

# Maps whose keys are the user's own names: never snake_cased in return values.
USER_KEYED_MAPS = ["Tags", "RuntimeEnvironmentVariables", "RuntimeEnvironmentSecrets"]


# ---- return values, the module's end ------------------------------------------


def _paginate(method, result_key, **params):
    """All items under ``result_key`` of every page."""
    return [item for page in token_pages(method, **params) for item in page.get(result_key, [])]


def snake_keep_user_keys(data):
    """camel_dict_to_snake_dict at every depth, except below the keys in USER_KEYED_MAPS.

    (camel_dict_to_snake_dict's ignore_list applies to the top level only, and environment
    variables sit deep inside SourceConfiguration.)
    """
    if isinstance(data, list):
        return [snake_keep_user_keys(item) for item in data]
    if not isinstance(data, dict):
        return data
    result = {}
    for key, value in data.items():
        snake_key = next(iter(camel_dict_to_snake_dict({key: None})))
        result[snake_key] = value if key in USER_KEYED_MAPS else snake_keep_user_keys(value)
    return result


def to_ansible(resource, tags=None):
    """The resource with snake_case keys; user-keyed maps (environment, tags) kept as they are."""
    result = snake_keep_user_keys(resource)
    if tags is not None:
        result["tags"] = tags
    return result


def run_module(module, converge):
    """Exit with the result of ``converge()``: its ``diff`` only in diff mode, App Runner errors as failures."""
    try:
        result = converge()
    except AnsibleAppRunnerError as e:
        module.fail_json_aws_error(e)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


# ---- services ----------------------------------------------------------------------------


@AppRunnerErrorHandler.common_error_handler("list App Runner services")
def list_services(client):
    return _paginate(client.list_services, "ServiceSummaryList", MaxResults=20)


@AppRunnerErrorHandler.list_error_handler("describe App Runner service {arn}")
def describe_service(client, arn):
    return client.describe_service(aws_retry=True, ServiceArn=arn)["Service"]


def find_service(client, name):
    """The live (not DELETED) service called ``name`` as DescribeService returns it, or None."""
    for summary in list_services(client):
        if summary.get("ServiceName") == name and summary.get("Status") != "DELETED":
            service = describe_service(client, summary["ServiceArn"])
            if service and service.get("Status") != "DELETED":
                return service
    return None


def find_service_arn(client, value, option="service"):
    """ARN of the live service called ``value`` (ARNs pass through)."""
    if value.startswith("arn:"):
        return value
    for summary in list_services(client):
        if summary.get("ServiceName") == value and summary.get("Status") != "DELETED":
            return summary["ServiceArn"]
    raise AnsibleAppRunnerError(message=f"{option}: no App Runner service named {value!r}")


@AppRunnerErrorHandler.common_error_handler("create App Runner service {params[ServiceName]}")
def create_service(client, params):
    return client.create_service(aws_retry=True, **params)


@AppRunnerErrorHandler.common_error_handler("update App Runner service {arn}")
def update_service(client, arn, params):
    return client.update_service(aws_retry=True, ServiceArn=arn, **params)


@AppRunnerErrorHandler.common_error_handler("start a deployment of App Runner service {arn}")
def start_deployment(client, arn):
    return client.start_deployment(aws_retry=True, ServiceArn=arn)["OperationId"]


@AppRunnerErrorHandler.common_error_handler("pause App Runner service {arn}")
def pause_service(client, arn):
    return client.pause_service(aws_retry=True, ServiceArn=arn)


@AppRunnerErrorHandler.common_error_handler("resume App Runner service {arn}")
def resume_service(client, arn):
    return client.resume_service(aws_retry=True, ServiceArn=arn)


@AppRunnerErrorHandler.deletion_error_handler("delete App Runner service {arn}")
def delete_service(client, arn):
    return client.delete_service(aws_retry=True, ServiceArn=arn)


# ---- operations and waits on a service -----------------------------------------------------


@AppRunnerErrorHandler.common_error_handler("list operations of App Runner service {arn}")
def list_operations(client, arn, max_results=20):
    return client.list_operations(aws_retry=True, ServiceArn=arn, MaxResults=max_results).get(
        "OperationSummaryList", []
    )


def wait_for_service(client, arn, timeout, deleted=False):
    """Wait until no operation runs on the service (or until it is gone when ``deleted``)."""
    waiter = AppRunnerWaiterFactory().get_waiter(client, "service_deleted" if deleted else "service_settled")
    try:
        waiter.wait(ServiceArn=arn, WaiterConfig=waiter_config(timeout))
    except botocore.exceptions.WaiterError as e:
        last = (e.last_response or {}).get("Service", {}).get("Status", "unknown")
        what = "deletion of" if deleted else "the operation on"
        if "Max attempts exceeded" in str(e):
            raise AnsibleAppRunnerError(
                message=f"Timed out after {timeout}s waiting for {what} App Runner service {arn} (status {last}); "
                "raise wait_timeout or check the service's operations",
            ) from e
        raise AnsibleAppRunnerError(
            message=f"App Runner service {arn} reached status {last} while waiting for {what} it: {e}", exception=e
        ) from e


def check_operation(client, arn, operation_id):
    """Raise if operation ``operation_id`` failed or was rolled back; return its summary."""
    if not operation_id:
        return None
    for operation in list_operations(client, arn):
        if operation.get("Id") != operation_id:
            continue
        status = operation.get("Status")
        if status in ("ROLLBACK_SUCCEEDED", "ROLLBACK_FAILED"):
            raise AnsibleAppRunnerError(
                message=f"The deployment of App Runner service {arn} was rolled back: operation {operation_id} "
                f"({operation.get('Type')}) ended in {status}; the service runs its previous configuration. "
                "Read the service's deployment logs for the cause",
            )
        if status == "FAILED":
            raise AnsibleAppRunnerError(
                message=f"Operation {operation_id} ({operation.get('Type')}) on App Runner service {arn} failed",
            )
        return operation
    return None


def in_progress_operation(client, arn):
    """The newest operation still running on the service, or None."""
    for operation in list_operations(client, arn, max_results=5):
        if operation.get("Status") in ("PENDING", "IN_PROGRESS", "ROLLBACK_IN_PROGRESS"):
            return operation
    return None


# ---- tags --------------------------------------------------------------------------------


@AppRunnerErrorHandler.list_error_handler("list tags of {arn}", {})
def get_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, ResourceArn=arn).get("Tags"))


def tag_changes(current_tags, tags, *, purge_tags, keep=()):
    """``(to_add, to_remove)`` that turn ``current_tags`` into ``tags``; ``keep`` lists keys never purged."""
    if tags is None:
        return {}, []
    to_add, to_remove = compare_aws_tags(dict(current_tags or {}), tags, purge_tags=purge_tags)
    return to_add, [k for k in to_remove if k not in keep]


@AppRunnerErrorHandler.common_error_handler("update tags of {arn}")
def apply_tag_changes(client, arn, to_add, to_remove):
    """UntagResource / TagResource for what :func:`tag_changes` found (no call when nothing differs)."""
    if to_remove:
        client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=to_remove)
    if to_add:
        client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(to_add))
    return bool(to_add or to_remove)


def ensure_tags(client, arn, current_tags, tags, *, purge_tags, check_mode, keep=()):
    """Converge the tags of an App Runner resource. ``keep`` lists keys never purged."""
    to_add, to_remove = tag_changes(current_tags, tags, purge_tags=purge_tags, keep=keep)
    if not to_add and not to_remove:
        return False
    if check_mode:
        return True
    return apply_tag_changes(client, arn, to_add, to_remove)


# ---- auto scaling configurations -----------------------------------------------------------


@AppRunnerErrorHandler.common_error_handler("list auto scaling configurations named {name}")
def list_auto_scaling_revisions(client, name, latest_only=False):
    """Summaries of the active revisions of an auto scaling configuration, oldest first."""
    params = dict(AutoScalingConfigurationName=name, LatestOnly=latest_only, MaxResults=100)
    items = _paginate(client.list_auto_scaling_configurations, "AutoScalingConfigurationSummaryList", **params)
    items = [i for i in items if i.get("AutoScalingConfigurationName") == name and i.get("Status") != "INACTIVE"]
    return sorted(items, key=lambda i: i.get("AutoScalingConfigurationRevision", 0))


@AppRunnerErrorHandler.list_error_handler("describe auto scaling configuration {arn}")
def describe_auto_scaling_configuration(client, arn):
    return client.describe_auto_scaling_configuration(aws_retry=True, AutoScalingConfigurationArn=arn)[
        "AutoScalingConfiguration"
    ]


def resolve_auto_scaling_configuration(client, value, option="auto_scaling_configuration", check_mode=False):
    """ARN of the latest revision of the configuration named ``value`` (ARNs pass through).

    In check mode a missing configuration resolves to a placeholder (an earlier task of the same
    check-mode run would have created it), so the plan shows a change instead of failing; a
    placeholder that task returned for the revision it would create passes through.
    """
    if value is None or value.startswith("arn:") or is_not_yet_created(value):
        return value
    revisions = list_auto_scaling_revisions(client, value, latest_only=True)
    if not revisions and check_mode:
        return not_yet_created("auto scaling configuration", value)
    if not revisions:
        raise AnsibleAppRunnerError(
            message=f"{option}: no active App Runner auto scaling configuration named {value!r}"
        )
    return revisions[-1]["AutoScalingConfigurationArn"]


@AppRunnerErrorHandler.common_error_handler("create auto scaling configuration {params[AutoScalingConfigurationName]}")
def create_auto_scaling_configuration(client, params):
    return client.create_auto_scaling_configuration(aws_retry=True, **params)["AutoScalingConfiguration"]


@AppRunnerErrorHandler.deletion_error_handler("delete auto scaling configuration {arn}")
def delete_auto_scaling_configuration(client, arn, all_revisions=False):
    client.delete_auto_scaling_configuration(
        aws_retry=True, AutoScalingConfigurationArn=arn, DeleteAllRevisions=all_revisions
    )
    return True


# ---- connections ---------------------------------------------------------------------------


@AppRunnerErrorHandler.list_error_handler("list App Runner connections named {name}", default_value=[])
def _connections_named(client, name):
    return _paginate(client.list_connections, "ConnectionSummaryList", ConnectionName=name, MaxResults=100)


def find_connection(client, name):
    """The connection called ``name`` (a ListConnections entry), or None."""
    named = [c for c in _connections_named(client, name) if c.get("ConnectionName") == name]
    live = [c for c in named if c.get("Status") != "DELETED"]
    return live[0] if live else None


@AppRunnerErrorHandler.common_error_handler("create App Runner connection {params[ConnectionName]}")
def create_connection(client, params):
    return client.create_connection(aws_retry=True, **params)["Connection"]


@AppRunnerErrorHandler.deletion_error_handler("delete App Runner connection {arn}")
def delete_connection(client, arn):
    client.delete_connection(aws_retry=True, ConnectionArn=arn)
    return True


# ---- VPC connectors ----------------------------------------------------------------------


@AppRunnerErrorHandler.common_error_handler("list VPC connectors")
def list_vpc_connectors(client):
    return _paginate(client.list_vpc_connectors, "VpcConnectors", MaxResults=100)


def find_vpc_connector(client, name):
    """The newest ACTIVE revision of the VPC connector called ``name``, or None."""
    active = [
        c for c in list_vpc_connectors(client) if c.get("VpcConnectorName") == name and c.get("Status") == "ACTIVE"
    ]
    return max(active, key=lambda c: c.get("VpcConnectorRevision", 0)) if active else None


def resolve_vpc_connector(client, value, option="vpc_connector", check_mode=False):
    """ARN of the newest active revision of the connector named ``value`` (ARNs and check-mode
    placeholders pass through)."""
    if value is None or value.startswith("arn:") or is_not_yet_created(value):
        return value
    connector = find_vpc_connector(client, value)
    if connector is None and check_mode:
        return not_yet_created("VPC connector", value)
    if connector is None:
        raise AnsibleAppRunnerError(message=f"{option}: no active App Runner VPC connector named {value!r}")
    return connector["VpcConnectorArn"]


@AppRunnerErrorHandler.common_error_handler("create VPC connector {params[VpcConnectorName]}")
def create_vpc_connector(client, params):
    return client.create_vpc_connector(aws_retry=True, **params)["VpcConnector"]


@AppRunnerErrorHandler.deletion_error_handler("delete VPC connector {arn}")
def delete_vpc_connector(client, arn):
    client.delete_vpc_connector(aws_retry=True, VpcConnectorArn=arn)
    return True


def services_using_vpc_connector(client, arn):
    """Names of the live services whose egress goes through the VPC connector ``arn``."""
    users = []
    for summary in list_services(client):
        if summary.get("Status") == "DELETED":
            continue
        service = describe_service(client, summary["ServiceArn"]) or {}
        egress = service.get("NetworkConfiguration", {}).get("EgressConfiguration", {})
        if egress.get("VpcConnectorArn") == arn:
            users.append(service["ServiceName"])
    return users


# ---- custom domains -----------------------------------------------------------------------


@AppRunnerErrorHandler.common_error_handler("describe the custom domains of {arn}")
def describe_custom_domains(client, arn):
    """(DNSTarget, [CustomDomain, ...]) of a service."""
    domains, target = [], None
    for page in token_pages(client.describe_custom_domains, ServiceArn=arn, MaxResults=5):
        target = page.get("DNSTarget", target)
        domains.extend(page.get("CustomDomains", []))
    return target, domains


@AppRunnerErrorHandler.common_error_handler("associate custom domain {domain} with {arn}")
def associate_custom_domain(client, arn, domain, www):
    return client.associate_custom_domain(aws_retry=True, ServiceArn=arn, DomainName=domain, EnableWWWSubdomain=www)


@AppRunnerErrorHandler.deletion_error_handler("disassociate custom domain {domain} from {arn}")
def disassociate_custom_domain(client, arn, domain):
    client.disassociate_custom_domain(aws_retry=True, ServiceArn=arn, DomainName=domain)
    return True


def wait_for_custom_domain(client, arn, domain, waiter_name, timeout):
    waiter = AppRunnerWaiterFactory(domain).get_waiter(client, waiter_name)
    try:
        waiter.wait(ServiceArn=arn, WaiterConfig=waiter_config(timeout))
    except botocore.exceptions.WaiterError as e:
        statuses = [
            d.get("Status") for d in (e.last_response or {}).get("CustomDomains", []) if d.get("DomainName") == domain
        ]
        raise AnsibleAppRunnerError(
            message=f"Gave up waiting ({waiter_name}) for custom domain {domain} of {arn} after {timeout}s "
            f"(status {statuses[0] if statuses else 'unknown'}): {e}",
        ) from e
