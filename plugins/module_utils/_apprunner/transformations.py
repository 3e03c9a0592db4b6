# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure functions: module options -> App Runner API shapes, normalisation, comparison.

Nothing here calls AWS, so all of it is unit tested directly.
"""

import copy
import hashlib

# Fields whose value is a map owned as a whole by the task: it replaces, never merges.
WHOLE_VALUE_KEYS = frozenset(("RuntimeEnvironmentVariables", "RuntimeEnvironmentSecrets", "Tags"))

CPU_UNITS = ("256", "512", "1024", "2048", "4096")
MEMORY_MB = ("512", "1024", "2048", "3072", "4096", "6144", "8192", "10240", "12288")

# The service tag that records the versions of the referenced secrets at the last deployment.
SECRETS_VERSION_TAG = "invoice:secrets-version"

ECR_PUBLIC_PREFIX = "public.ecr.aws/"


class OptionError(ValueError):
    """An option value is invalid; the message names the option."""


def _number(value, option):
    text = str(value).strip()
    for suffix in ("vcpu", "gb", "mb"):
        if text.lower().endswith(suffix):
            text = text[: -len(suffix)].strip()
            break
    try:
        return float(text)
    except ValueError:
        raise OptionError(f"{option}: {value!r} is not a number") from None


def _normalize_size(value, option, *, unit, small_below, allowed, what):
    """``value`` as DescribeService returns it: a number with ``unit`` (or below ``small_below``)
    is in the large unit and multiplied by 1024; the result must be one of ``allowed``.
    ``what`` is (name of the size, the large-unit values, name of the small unit)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    number = _number(value, option)
    scaled = number * 1024 if (unit in text or number < small_below) else number
    result = str(int(scaled)) if scaled == int(scaled) else str(scaled)
    if result not in allowed:
        name, large_values, small_unit = what
        raise OptionError(
            f"{option}: {value!r} is not an App Runner {name}; use one of {large_values} "
            f"or {', '.join(allowed)} ({small_unit})"
        )
    return result


# How each size option is written and which values App Runner takes (see _normalize_size).
_CPU_SIZE = dict(
    unit="vcpu", small_below=16, allowed=CPU_UNITS, what=("CPU size", "0.25, 0.5, 1, 2, 4 (vCPU)", "CPU units")
)
_MEMORY_SIZE = dict(
    unit="gb", small_below=64, allowed=MEMORY_MB, what=("memory size", "0.5, 1, 2, 3, 4, 6, 8, 10, 12 (GB)", "MB")
)


def normalize_cpu(value, option="cpu"):
    """``1``, ``"1 vCPU"``, ``"1024"`` -> ``"1024"`` (CPU units, the form DescribeService returns)."""
    return _normalize_size(value, option, **_CPU_SIZE)


def normalize_memory(value, option="memory"):
    """``2``, ``"2 GB"``, ``"2048"`` -> ``"2048"`` (MB, the form DescribeService returns)."""
    return _normalize_size(value, option, **_MEMORY_SIZE)


def image_repository_type(identifier, given=None):
    """ECR_PUBLIC for ``public.ecr.aws/...`` images, ECR otherwise, unless given."""
    if given:
        return given
    return "ECR_PUBLIC" if identifier.startswith(ECR_PUBLIC_PREFIX) else "ECR"


def _drop_none(data):
    """Remove None values and sections left empty (whole-value maps may be empty: ``{}`` clears)."""
    result = {}
    for key, value in data.items():
        if value is None:
            continue
        cleaned = _drop_none(value) if isinstance(value, dict) and key not in WHOLE_VALUE_KEYS else value
        if cleaned == {} and key not in WHOLE_VALUE_KEYS:
            continue
        result[key] = cleaned
    return result


def _str_map(value):
    if value is None:
        return None
    return {str(k): str(v) for k, v in value.items()}


def _runtime_values(section):
    return dict(
        Port=None if section.get("port") is None else str(section["port"]),
        StartCommand=section.get("start_command"),
        RuntimeEnvironmentVariables=_str_map(section.get("environment")),
        RuntimeEnvironmentSecrets=_str_map(section.get("secrets")),
    )


def source_configuration(params):
    """The SourceConfiguration the task asks for (only what it sets)."""
    image, code = params.get("image"), params.get("code")
    config = {}
    if image:
        config["ImageRepository"] = dict(
            ImageIdentifier=image["identifier"],
            ImageRepositoryType=image_repository_type(image["identifier"], image.get("repository_type")),
            ImageConfiguration=_runtime_values(image),
        )
    if code:
        values = None
        if code.get("configuration_source", "API") == "API":
            values = dict(Runtime=code.get("runtime"), BuildCommand=code.get("build_command"), **_runtime_values(code))
        config["CodeRepository"] = dict(
            RepositoryUrl=code["repository_url"],
            SourceCodeVersion=dict(Type="BRANCH", Value=code["branch"]),
            SourceDirectory=code.get("source_directory"),
            CodeConfiguration=dict(
                ConfigurationSource=code.get("configuration_source", "API"),
                CodeConfigurationValues=values,
            ),
        )
    auth = dict(AccessRoleArn=params.get("access_role_arn"), ConnectionArn=(code or {}).get("connection_arn"))
    config["AuthenticationConfiguration"] = auth
    config["AutoDeploymentsEnabled"] = params.get("auto_deployments_enabled")
    return _drop_none(config)


def desired_service(params, auto_scaling_arn=None, vpc_connector_arn=None):
    """Everything the task sets, in the shape of CreateService/DescribeService.

    ``params`` are the module's options after cpu/memory normalisation; options left
    unset are absent from the result, so they are never compared or changed.
    """
    health = params.get("health_check") or {}
    network = dict(
        EgressConfiguration=dict(
            EgressType=params.get("egress_type") or ("VPC" if vpc_connector_arn else None),
            VpcConnectorArn=vpc_connector_arn,
        ),
        IngressConfiguration=dict(IsPubliclyAccessible=params.get("publicly_accessible")),
        IpAddressType=params.get("ip_address_type"),
    )
    observability = params.get("observability")
    desired = dict(
        SourceConfiguration=source_configuration(params),
        InstanceConfiguration=dict(
            Cpu=params.get("cpu"), Memory=params.get("memory"), InstanceRoleArn=params.get("instance_role_arn")
        ),
        HealthCheckConfiguration=dict(
            Protocol=health.get("protocol"),
            Path=health.get("path"),
            Interval=health.get("interval"),
            Timeout=health.get("timeout"),
            HealthyThreshold=health.get("healthy_threshold"),
            UnhealthyThreshold=health.get("unhealthy_threshold"),
        ),
        NetworkConfiguration=network,
        ObservabilityConfiguration=None
        if observability is None
        else dict(
            ObservabilityEnabled=observability["enabled"],
            ObservabilityConfigurationArn=observability.get("configuration_arn") if observability["enabled"] else None,
        ),
        EncryptionConfiguration=None if not params.get("kms_key") else dict(KmsKey=params["kms_key"]),
    )
    desired = _drop_none(desired)
    # Explicit None: the key must be absent (compared as such, removed by merge()).
    if params.get("egress_type") == "DEFAULT":
        desired["NetworkConfiguration"]["EgressConfiguration"]["VpcConnectorArn"] = None
    if observability is not None and not observability["enabled"]:
        desired["ObservabilityConfiguration"]["ObservabilityConfigurationArn"] = None
    if auto_scaling_arn:
        desired["AutoScalingConfigurationArn"] = auto_scaling_arn
    return desired


def service_comparable(service):
    """DescribeService output reshaped like :func:`desired_service` (for comparison and diff)."""
    comparable = {
        key: copy.deepcopy(service[key])
        for key in (
            "SourceConfiguration",
            "InstanceConfiguration",
            "HealthCheckConfiguration",
            "NetworkConfiguration",
            "ObservabilityConfiguration",
            "EncryptionConfiguration",
        )
        if service.get(key) is not None
    }
    summary = service.get("AutoScalingConfigurationSummary") or {}
    if summary.get("AutoScalingConfigurationArn"):
        comparable["AutoScalingConfigurationArn"] = summary["AutoScalingConfigurationArn"]
    return comparable


def _values_equal(key, want, have):
    if key in WHOLE_VALUE_KEYS:
        return (want or {}) == (have or {})
    if want is None:
        return have is None
    if isinstance(want, dict):
        return isinstance(have, dict) and not differing_paths(want, have)
    if isinstance(want, bool) or isinstance(have, bool):
        return want == have
    if isinstance(want, (int, float)) and isinstance(have, (int, float, str)):
        return str(want) == str(have)
    return want == have


def differing_paths(desired, actual, prefix=""):
    """Dotted paths of the fields in ``desired`` whose value differs in ``actual``.

    Only keys present in ``desired`` count: what the task did not set is not compared.
    Maps in WHOLE_VALUE_KEYS (environment, secrets) are compared as a whole.
    """
    actual = actual or {}
    paths = []
    for key, want in desired.items():
        have = actual.get(key)
        path = f"{prefix}{key}"
        if isinstance(want, dict) and key not in WHOLE_VALUE_KEYS and isinstance(have, dict):
            paths.extend(differing_paths(want, have, prefix=f"{path}."))
        elif not _values_equal(key, want, have):
            paths.append(path)
    return paths


def subset(desired, actual):
    """The parts of ``actual`` at the keys ``desired`` has (the "before" of a diff)."""
    result = {}
    for key, want in desired.items():
        have = (actual or {}).get(key)
        if isinstance(want, dict) and key not in WHOLE_VALUE_KEYS and isinstance(have, dict):
            result[key] = subset(want, have)
        else:
            result[key] = copy.deepcopy(have)
    return result


def merge(actual, desired):
    """``actual`` with ``desired`` laid over it: the full section UpdateService needs.

    Nested dicts merge; whole-value maps and scalars replace; a None in ``desired`` removes
    the key. Choosing an image source drops a code source and the other way round.
    """
    result = copy.deepcopy(actual) if isinstance(actual, dict) else {}
    for key, want in desired.items():
        if want is None:
            result.pop(key, None)
        elif isinstance(want, dict) and key not in WHOLE_VALUE_KEYS:
            result[key] = merge(result.get(key), want)
        else:
            result[key] = copy.deepcopy(want)
    if "ImageRepository" in desired:
        result.pop("CodeRepository", None)
    if "CodeRepository" in desired:
        result.pop("ImageRepository", None)
    return result


def secrets_fingerprint(versions):
    """A short stable digest of ``{secret reference: version}``."""
    text = "\n".join(f"{ref}={versions[ref]}" for ref in sorted(versions))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def secret_references(params):
    """The secret ARNs/names the task's image or code source references."""
    refs = set()
    for section in (params.get("image"), params.get("code")):
        if section and section.get("secrets"):
            refs.update(str(v) for v in section["secrets"].values())
    return sorted(refs)


SECRET_NAME_PREFIX = "secretsmanager:"  # noqa: S105 (a reference scheme, not a secret)


def secret_name_reference(ref):
    """``(secret name, json key or None)`` of a ``secretsmanager:<name>[:<json-key>]`` value, else None.

    Such a reference is resolved (DescribeSecret) to the secret's full ARN before use.
    """
    if not ref.startswith(SECRET_NAME_PREFIX):
        return None
    parts = ref[len(SECRET_NAME_PREFIX) :].split(":")
    if len(parts) > 2 or not parts[0] or (len(parts) == 2 and not parts[1]):
        raise OptionError(
            f"secrets: {ref!r} is not a secret reference; use 'secretsmanager:<secret name>' or "
            "'secretsmanager:<secret name>:<json key>'"
        )
    return parts[0], (parts[1] if len(parts) == 2 else None)


def resolved_secret_arn(arn, json_key=None):
    """The RuntimeEnvironmentSecrets value for secret ``arn``: the ARN, or ``ARN:<json-key>::``."""
    return f"{arn}:{json_key}::" if json_key else arn


def parse_secret_reference(ref, region=None):
    """``(service, id)`` of a RuntimeEnvironmentSecrets value.

    Secrets Manager ARNs (optionally with ``:json-key:version-stage:version-id``) ->
    ``("secretsmanager", secret ARN)``; ``secretsmanager:<name>[:<json-key>]`` ->
    ``("secretsmanager", name)``; SSM parameter ARNs or names -> ``("ssm", name)``.
    """
    by_name = secret_name_reference(ref)
    if by_name:
        return "secretsmanager", by_name[0]
    if ref.startswith("arn:"):
        parts = ref.split(":")
        if len(parts) < 6:
            raise OptionError(f"secrets: {ref!r} is not a valid ARN")
        service = parts[2]
        if service == "secretsmanager":
            return "secretsmanager", ":".join(parts[:7])
        if service == "ssm":
            resource = ":".join(parts[5:])
            if not resource.startswith("parameter"):
                raise OptionError(f"secrets: {ref!r} is not an SSM parameter ARN")
            return "ssm", resource[len("parameter") :]
        raise OptionError(f"secrets: {ref!r} is neither a Secrets Manager secret nor an SSM parameter ARN")
    return "ssm", ref


def asc_name_from_arn(arn):
    """``arn:...:autoscalingconfiguration/NAME/REV/ID`` -> NAME."""
    try:
        return arn.split(":", 5)[5].split("/")[1]
    except IndexError:
        return None


def tags_after(current, desired, purge_tags, keep=()):
    """The tags a resource ends with (what compare_aws_tags + ensure_tags produce)."""
    current = dict(current or {})
    if desired is None:
        return current
    result = {k: v for k, v in current.items() if not purge_tags or k in desired or k in keep}
    result.update(desired)
    return result
