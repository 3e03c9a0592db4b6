# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secrets Manager and SSM Parameter Store reads of the App Runner service module.

Versions and ARNs only: DescribeSecret and DescribeParameters, never a secret's value.
Clients are made with ``retry_decorator=AWSRetry.jittered_backoff()``; calls pass
``aws_retry=True``. The public names are re-exported by ``module_utils/apprunner.py``.
"""

from ansible_collections.invoice.platform.plugins.module_utils._apprunner.errors import (
    AnsibleAppRunnerError,
    AppRunnerErrorHandler,
    not_yet_created,
)
from ansible_collections.invoice.platform.plugins.module_utils._apprunner.transformations import (
    parse_secret_reference,
    resolved_secret_arn,
    secret_name_reference,
    secrets_fingerprint,
)


@AppRunnerErrorHandler.common_error_handler("read the version of secret {secret_id}")
def _secret_version(client, secret_id):
    return _current_version(client.describe_secret(aws_retry=True, SecretId=secret_id))


@AppRunnerErrorHandler.common_error_handler("read the version of SSM parameter {name}")
def _parameter_version(client, name):
    candidates = sorted({name, name.lstrip("/"), "/" + name.lstrip("/")})
    found = client.describe_parameters(
        aws_retry=True, ParameterFilters=[dict(Key="Name", Option="Equals", Values=candidates)]
    ).get("Parameters", [])
    if not found:
        raise AnsibleAppRunnerError(message=f"secrets: SSM parameter {name!r} does not exist")
    return str(max(p.get("Version", 0) for p in found))


def _current_version(secret):
    for version_id, stages in (secret.get("VersionIdsToStages") or {}).items():
        if "AWSCURRENT" in stages:
            return version_id
    return ""


@AppRunnerErrorHandler.list_error_handler("describe secret {name}")
def describe_secret(client, name):
    """DescribeSecret (metadata and version ids, never the value), or None when there is no such secret."""
    return client.describe_secret(aws_retry=True, SecretId=name)


def resolve_secret_names(secrets_client, params, check_mode=False, service_exists=True, missing="fail"):
    """Replace ``secretsmanager:<name>[:<json-key>]`` values of the image/code secrets by full ARNs.

    Returns ``(params, versions, omitted)``: a copy of ``params`` with the resolved values, the
    AWSCURRENT version id of each resolved value and the ``(variable, secret name)`` pairs left
    out (see :func:`resolve_secret_map`, which resolves each section's map).
    ``secrets_client`` is a callable returning the client (made only when a name is used).
    """
    params = dict(params)
    versions, omitted, cache = {}, [], {}
    for option in ("image", "code"):
        section = params.get(option)
        if not section or not section.get("secrets"):
            continue
        secrets, found, left_out = resolve_secret_map(
            secrets_client,
            section["secrets"],
            f"{option}.secrets",
            check_mode=check_mode,
            service_exists=service_exists,
            missing=missing,
            cache=cache,
        )
        versions.update(found)
        omitted.extend(left_out)
        params[option] = dict(section, secrets=secrets)
    return params, versions, omitted


def resolve_secret_map(
    secrets_client, secrets, option, *, check_mode=False, service_exists=True, missing="fail", cache=None
):
    """Resolve the ``secretsmanager:<name>[:<json-key>]`` values of one map (variable -> reference).

    Shared by the App Runner and ECS Express service modules. Each named secret is read once
    with DescribeSecret (never GetSecretValue; ``cache`` keeps what was read across maps).
    Returns ``(secrets, versions, omitted)``: the map with the resolved values (``<ARN>`` or
    ``<ARN>:<json-key>::``, the form App Runner's DescribeService and ECS's ``valueFrom`` use),
    the AWSCURRENT version id of each resolved value and the ``(variable, secret name)`` pairs
    left out. A missing secret (or one scheduled for deletion) fails, naming ``option``, the
    variable and the secret; in check mode, when the service does not exist yet, it becomes a
    placeholder (an earlier task of the same run would create it); with ``missing="omit"``
    its variable is left out instead. Other values (ARNs, SSM names) are kept as they are.
    """
    found = {} if cache is None else cache
    resolved, versions, omitted, client = {}, {}, [], None
    for variable, ref in secrets.items():
        by_name = secret_name_reference(str(ref))
        if by_name is None:
            resolved[variable] = ref
            continue
        name, json_key = by_name
        if name not in found:
            client = client or secrets_client()
            secret = describe_secret(client, name)
            found[name] = None if not secret or secret.get("DeletedDate") else secret
        secret = found[name]
        if secret is None:
            if missing == "omit":
                omitted.append((variable, name))
                continue
            if check_mode and not service_exists:
                resolved[variable] = not_yet_created("secret", name)
                versions[resolved[variable]] = ""
                continue
            raise AnsibleAppRunnerError(message=f"{option}.{variable}: Secrets Manager secret {name!r} does not exist")
        resolved[variable] = resolved_secret_arn(secret["ARN"], json_key)
        versions[resolved[variable]] = _current_version(secret)
    return resolved, versions, omitted


def secret_versions_fingerprint(ssm_client, secrets_client, references, known=None):
    """Fingerprint of the current versions of the referenced secrets and parameters.

    Read-only calls that never return a secret's value: Secrets Manager DescribeSecret
    (the version id staged AWSCURRENT) and SSM DescribeParameters (the parameter Version).
    ``known`` maps references whose version was already read (resolve_secret_names) to it.
    """
    known = known or {}
    versions = {}
    for ref in references:
        if ref in known:
            versions[ref] = known[ref]
            continue
        kind, ident = parse_secret_reference(ref)
        if kind == "secretsmanager":
            versions[ref] = _secret_version(secrets_client, ident)
        else:
            versions[ref] = _parameter_version(ssm_client, ident)
    return secrets_fingerprint(versions)
