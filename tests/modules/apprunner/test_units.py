"""Unit tests (no endpoint): normalisation, comparison, waiters, operations, secrets, tags."""

from __future__ import annotations

import botocore.exceptions
import botocore.session
import pytest
from ansible_collections.invoice.platform.plugins.module_utils import apprunner as ar
from ansible_collections.invoice.platform.plugins.module_utils._apprunner import transformations as tf
from ansible_collections.invoice.platform.plugins.module_utils._apprunner.waiters import (
    AppRunnerWaiterFactory,
    waiter_config,
)
from botocore.stub import Stubber

from tools.localaws.apprunner.constants import HEALTH_CHECK_DEFAULTS

ARN = "arn:aws:apprunner:us-east-1:123456789012:service/api/0123456789abcdef0123456789abcdef"


class Retrying:
    """Stands in for amazon.aws's RetryingBotoClientWrapper: accepts and drops aws_retry."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(*args, aws_retry=False, **kwargs):
            return method(*args, **kwargs)

        return call


@pytest.fixture
def stubbed(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    client = botocore.session.get_session().create_client("apprunner", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


# ---- normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1 vCPU", "1024"),
        (1, "1024"),
        ("1024", "1024"),
        ("0.25 vCPU", "256"),
        (0.5, "512"),
        ("4", "4096"),
        (2048, "2048"),
    ],
)
def test_normalize_cpu(value, expected):
    assert tf.normalize_cpu(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2 GB", "2048"), (2, "2048"), ("2048", "2048"), ("0.5 GB", "512"), ("12", "12288"), ("3072", "3072")],
)
def test_normalize_memory(value, expected):
    assert tf.normalize_memory(value) == expected


@pytest.mark.parametrize(
    ("func", "value", "option"),
    [(tf.normalize_cpu, "3 vCPU", "cpu"), (tf.normalize_cpu, "lots", "cpu"), (tf.normalize_memory, "5 GB", "memory")],
)
def test_normalize_rejects_sizes_app_runner_lacks(func, value, option):
    with pytest.raises(tf.OptionError, match=f"^{option}: '{value}'"):
        func(value)


def test_normalize_none_is_unset():
    assert tf.normalize_cpu(None) is None
    assert tf.normalize_memory(None) is None


# ---- desired shape -----------------------------------------------------------------------


def _params(**overrides):
    params = dict.fromkeys(
        (
            "image code access_role_arn auto_deployments_enabled cpu memory instance_role_arn health_check "
            "egress_type vpc_connector publicly_accessible ip_address_type observability kms_key"
        ).split()
    )
    params.update(overrides)
    return params


def test_desired_service_holds_only_what_the_task_sets():
    params = _params(image=dict(identifier="123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1", port=8000), cpu="1024")
    desired = tf.desired_service(params)
    assert desired == {
        "SourceConfiguration": {
            "ImageRepository": {
                "ImageIdentifier": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1",
                "ImageRepositoryType": "ECR",
                "ImageConfiguration": {"Port": "8000"},
            }
        },
        "InstanceConfiguration": {"Cpu": "1024"},
    }


def test_desired_service_public_image_and_empty_environment():
    params = _params(image=dict(identifier="public.ecr.aws/nginx/nginx:latest", environment={}))
    repo = tf.desired_service(params)["SourceConfiguration"]["ImageRepository"]
    assert repo["ImageRepositoryType"] == "ECR_PUBLIC"
    # {} is kept: it means "no environment variables", not "unset".
    assert repo["ImageConfiguration"] == {"RuntimeEnvironmentVariables": {}}


def test_desired_service_network_and_observability():
    params = _params(vpc_connector="x", publicly_accessible=False, observability=dict(enabled=False))
    desired = tf.desired_service(params, vpc_connector_arn="arn:vpc", auto_scaling_arn="arn:asc")
    assert desired["NetworkConfiguration"] == {
        "EgressConfiguration": {"EgressType": "VPC", "VpcConnectorArn": "arn:vpc"},
        "IngressConfiguration": {"IsPubliclyAccessible": False},
    }
    assert desired["ObservabilityConfiguration"] == {
        "ObservabilityEnabled": False,
        "ObservabilityConfigurationArn": None,
    }
    assert desired["AutoScalingConfigurationArn"] == "arn:asc"
    leaving = tf.desired_service(_params(egress_type="DEFAULT"))
    assert leaving["NetworkConfiguration"]["EgressConfiguration"] == {"EgressType": "DEFAULT", "VpcConnectorArn": None}


def test_desired_service_code_source():
    code = dict(
        repository_url="https://github.com/example/api",
        branch="main",
        connection_arn="arn:conn",
        configuration_source="API",
        runtime="PYTHON_311",
        build_command="pip install -r requirements.txt",
        start_command="uvicorn app.main:app",
        port="8000",
    )
    source = tf.desired_service(_params(code=code))["SourceConfiguration"]
    assert source["AuthenticationConfiguration"] == {"ConnectionArn": "arn:conn"}
    assert source["CodeRepository"]["SourceCodeVersion"] == {"Type": "BRANCH", "Value": "main"}
    values = source["CodeRepository"]["CodeConfiguration"]["CodeConfigurationValues"]
    assert values == {
        "Runtime": "PYTHON_311",
        "BuildCommand": "pip install -r requirements.txt",
        "StartCommand": "uvicorn app.main:app",
        "Port": "8000",
    }


# ---- comparison --------------------------------------------------------------------------

DESCRIBED = {
    "SourceConfiguration": {
        "ImageRepository": {
            "ImageIdentifier": "public.ecr.aws/x/api:1",
            "ImageRepositoryType": "ECR_PUBLIC",
            "ImageConfiguration": {"Port": "8000", "RuntimeEnvironmentVariables": {"A": "1", "B": "2"}},
        },
        "AutoDeploymentsEnabled": False,
    },
    "InstanceConfiguration": {"Cpu": "1024", "Memory": "2048"},
    "HealthCheckConfiguration": HEALTH_CHECK_DEFAULTS,  # what App Runner fills in (as the local endpoint does)
    "NetworkConfiguration": {
        "EgressConfiguration": {"EgressType": "DEFAULT"},
        "IngressConfiguration": {"IsPubliclyAccessible": True},
    },
}


def test_defaults_aws_fills_in_are_not_differences():
    desired = {
        "SourceConfiguration": {"ImageRepository": {"ImageIdentifier": "public.ecr.aws/x/api:1"}},
        "InstanceConfiguration": {"Cpu": "1024"},
        "HealthCheckConfiguration": {"Interval": 5},
    }
    assert tf.differing_paths(desired, DESCRIBED) == []


def test_changed_fields_are_named_by_path():
    desired = {
        "SourceConfiguration": {"ImageRepository": {"ImageIdentifier": "public.ecr.aws/x/api:2"}},
        "HealthCheckConfiguration": {"Interval": 10, "Timeout": 2},
        "NetworkConfiguration": {"EgressConfiguration": {"EgressType": "DEFAULT", "VpcConnectorArn": None}},
    }
    assert tf.differing_paths(desired, DESCRIBED) == [
        "SourceConfiguration.ImageRepository.ImageIdentifier",
        "HealthCheckConfiguration.Interval",
    ]


@pytest.mark.parametrize(
    ("environment", "differs"),
    [({"A": "1", "B": "2"}, False), ({"A": "1"}, True), ({"A": "1", "B": "2", "C": "3"}, True), ({}, True)],
)
def test_environment_is_compared_as_a_whole(environment, differs):
    desired = {
        "SourceConfiguration": {"ImageRepository": {"ImageConfiguration": {"RuntimeEnvironmentVariables": environment}}}
    }
    assert bool(tf.differing_paths(desired, DESCRIBED)) is differs


def test_empty_environment_equals_absent_environment():
    desired = {"InstanceConfiguration": {"Cpu": "1024"}, "X": {"RuntimeEnvironmentSecrets": {}}}
    assert tf.differing_paths(desired, {"InstanceConfiguration": {"Cpu": "1024"}, "X": {}}) == []


def test_subset_is_the_before_of_a_diff():
    desired = {"InstanceConfiguration": {"Cpu": "2048"}, "HealthCheckConfiguration": {"Path": "/health"}}
    assert tf.subset(desired, DESCRIBED) == {
        "InstanceConfiguration": {"Cpu": "1024"},
        "HealthCheckConfiguration": {"Path": "/"},
    }


def test_merge_builds_the_full_update_section():
    merged = tf.merge(DESCRIBED["HealthCheckConfiguration"], {"Protocol": "HTTP", "Path": "/health"})
    assert merged == {**DESCRIBED["HealthCheckConfiguration"], "Protocol": "HTTP", "Path": "/health"}
    env = tf.merge(
        DESCRIBED["SourceConfiguration"],
        {"ImageRepository": {"ImageConfiguration": {"RuntimeEnvironmentVariables": {"C": "3"}}}},
    )
    assert env["ImageRepository"]["ImageConfiguration"] == {"Port": "8000", "RuntimeEnvironmentVariables": {"C": "3"}}
    assert DESCRIBED["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]["RuntimeEnvironmentVariables"] == {
        "A": "1",
        "B": "2",
    }, "merge must not modify its input"


def test_merge_switches_source_kind_and_removes_none():
    code = {"CodeRepository": {"RepositoryUrl": "https://github.com/x/y"}}
    assert "ImageRepository" not in tf.merge(DESCRIBED["SourceConfiguration"], code)
    network = tf.merge(
        {"EgressConfiguration": {"EgressType": "VPC", "VpcConnectorArn": "arn:v"}},
        {"EgressConfiguration": {"EgressType": "DEFAULT", "VpcConnectorArn": None}},
    )
    assert network == {"EgressConfiguration": {"EgressType": "DEFAULT"}}


def test_service_comparable_takes_asc_arn_from_summary():
    service = dict(
        DESCRIBED, AutoScalingConfigurationSummary={"AutoScalingConfigurationArn": "arn:asc/1"}, Status="RUNNING"
    )
    comparable = tf.service_comparable(service)
    assert comparable["AutoScalingConfigurationArn"] == "arn:asc/1"
    assert "Status" not in comparable


# ---- secrets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
            ("secretsmanager", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"),
        ),
        (
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::",
            ("secretsmanager", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"),
        ),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/invoice/key", ("ssm", "/invoice/key")),
        ("/invoice/key", ("ssm", "/invoice/key")),
    ],
)
def test_parse_secret_reference(ref, expected):
    assert tf.parse_secret_reference(ref) == expected


def test_parse_secret_reference_rejects_other_services():
    with pytest.raises(tf.OptionError, match="secrets: 'arn:aws:s3:::bucket/key'"):
        tf.parse_secret_reference("arn:aws:s3:::bucket/key")


class FakeSecrets:
    def __init__(self, versions):
        self.versions = versions
        self.calls = []

    def describe_secret(self, aws_retry=False, SecretId=None):
        self.calls.append(("DescribeSecret", SecretId))
        return {"VersionIdsToStages": {"old": ["AWSPREVIOUS"], self.versions[SecretId]: ["AWSCURRENT"]}}

    def describe_parameters(self, aws_retry=False, ParameterFilters=None):
        self.calls.append(("DescribeParameters", ParameterFilters[0]["Values"]))
        return {
            "Parameters": [
                {"Name": n, "Version": self.versions[n]} for n in ParameterFilters[0]["Values"] if n in self.versions
            ]
        }


def test_secret_fingerprint_follows_versions_and_never_reads_values():
    sm_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    refs = [sm_arn + ":password::", "arn:aws:ssm:us-east-1:123456789012:parameter/invoice/key"]
    fake = FakeSecrets({sm_arn: "v1", "/invoice/key": 3})
    first = ar.secret_versions_fingerprint(fake, fake, refs)
    assert first == ar.secret_versions_fingerprint(fake, fake, refs)
    fake.versions["/invoice/key"] = 4
    assert ar.secret_versions_fingerprint(fake, fake, refs) != first
    assert {c[0] for c in fake.calls} == {"DescribeSecret", "DescribeParameters"}


def test_missing_parameter_is_named():
    with pytest.raises(ar.AnsibleAppRunnerError, match="SSM parameter '/nope' does not exist"):
        ar.secret_versions_fingerprint(FakeSecrets({}), FakeSecrets({}), ["/nope"])


SM_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:invoice-local-database-master-AbCdEf"


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("secretsmanager:invoice-local-database-master", ("invoice-local-database-master", None)),
        ("secretsmanager:invoice-local-database-master:password", ("invoice-local-database-master", "password")),
        ("secretsmanager:invoice/db:password", ("invoice/db", "password")),
        (SM_ARN, None),
        ("/invoice/key", None),
    ],
)
def test_secret_name_reference(ref, expected):
    assert tf.secret_name_reference(ref) == expected


@pytest.mark.parametrize(
    "ref", ["secretsmanager:", "secretsmanager::password", "secretsmanager:db:", "secretsmanager:a:b:c"]
)
def test_secret_name_reference_rejects_malformed(ref):
    with pytest.raises(tf.OptionError, match=f"secrets: {ref!r} is not a secret reference"):
        tf.secret_name_reference(ref)


def test_parse_secret_reference_by_name():
    assert tf.parse_secret_reference("secretsmanager:db:password") == ("secretsmanager", "db")


class FakeSecretsByName:
    """DescribeSecret by name only (a GetSecretValue would fail: the fake has no such method)."""

    def __init__(self, secrets):
        self.secrets = secrets
        self.calls = []

    def describe_secret(self, aws_retry=False, SecretId=None):
        self.calls.append(SecretId)
        if SecretId not in self.secrets:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "Secrets Manager can't find it"}},
                "DescribeSecret",
            )
        return self.secrets[SecretId]


def _secret_params(secrets, code_secrets=None):
    params = {"image": {"identifier": "img:1", "secrets": secrets}, "code": None}
    if code_secrets is not None:
        params["code"] = {"repository_url": "https://example.invalid/r", "secrets": code_secrets}
    return params


@pytest.mark.parametrize(
    ("ref", "resolved"),
    [
        ("secretsmanager:db", SM_ARN),
        ("secretsmanager:db:password", SM_ARN + ":password::"),
        ("secretsmanager:db:username", SM_ARN + ":username::"),
        (SM_ARN + ":password::", SM_ARN + ":password::"),
        ("/invoice/key", "/invoice/key"),
    ],
)
def test_resolve_secret_names(ref, resolved):
    fake = FakeSecretsByName(
        {"db": {"ARN": SM_ARN, "VersionIdsToStages": {"v2": ["AWSCURRENT"], "v1": ["AWSPREVIOUS"]}}}
    )
    params = _secret_params({"DB_PASSWORD": ref, "OTHER": "/invoice/other"})
    out, versions, omitted = ar.resolve_secret_names(lambda: fake, params)
    assert out["image"]["secrets"] == {"DB_PASSWORD": resolved, "OTHER": "/invoice/other"}
    assert params["image"]["secrets"]["DB_PASSWORD"] == ref  # the caller's params are not changed
    by_name = ref.startswith("secretsmanager:")
    assert versions == ({resolved: "v2"} if by_name else {})
    assert fake.calls == (["db"] if by_name else [])
    assert omitted == []


def test_resolve_secret_names_describes_each_secret_once():
    fake = FakeSecretsByName({"db": {"ARN": SM_ARN, "VersionIdsToStages": {"v1": ["AWSCURRENT"]}}})
    params = _secret_params({"DB_PASSWORD": "secretsmanager:db:password", "DB_USER": "secretsmanager:db:username"})
    _, versions, _ = ar.resolve_secret_names(lambda: fake, params)
    assert fake.calls == ["db"]
    assert set(versions) == {SM_ARN + ":password::", SM_ARN + ":username::"}


@pytest.mark.parametrize(
    ("check_mode", "service_exists", "secret"),
    [(False, False, None), (False, True, None), (True, True, None), (False, False, {"DeletedDate": "2026-01-01"})],
)
def test_missing_secret_fails_naming_variable_and_secret(check_mode, service_exists, secret):
    fake = FakeSecretsByName({} if secret is None else {"db": dict(secret, ARN=SM_ARN)})
    with pytest.raises(ar.AnsibleAppRunnerError) as raised:
        ar.resolve_secret_names(
            lambda: fake, _secret_params({"DB_PASSWORD": "secretsmanager:db:password"}), check_mode, service_exists
        )
    assert raised.value.message == "image.secrets.DB_PASSWORD: Secrets Manager secret 'db' does not exist"


def test_missing_secret_in_check_mode_of_a_new_service_is_planned():
    out, versions, omitted = ar.resolve_secret_names(
        lambda: FakeSecretsByName({}),
        _secret_params({"DB_PASSWORD": "secretsmanager:db:password"}),
        check_mode=True,
        service_exists=False,
    )
    assert out["image"]["secrets"] == {"DB_PASSWORD": "(secret db, to be created)"}
    assert versions == {"(secret db, to be created)": ""}
    assert omitted == []


def test_missing_secret_omitted_on_request():
    out, versions, omitted = ar.resolve_secret_names(
        lambda: FakeSecretsByName({}),
        _secret_params(
            {"DB_PASSWORD": "secretsmanager:db:password", "KEY": "/k"}, code_secrets={"X": "secretsmanager:db"}
        ),
        missing="omit",
    )
    assert out["image"]["secrets"] == {"KEY": "/k"}
    assert out["code"]["secrets"] == {}
    assert omitted == [("DB_PASSWORD", "db"), ("X", "db")]
    assert versions == {}


def test_no_client_without_named_secrets():
    def no_client():
        raise AssertionError("a Secrets Manager client was made")

    out, versions, omitted = ar.resolve_secret_names(no_client, _secret_params({"K": "/k"}))
    assert out["image"]["secrets"] == {"K": "/k"}
    assert (versions, omitted) == ({}, [])


def test_fingerprint_reuses_resolved_versions():
    fake = FakeSecrets({SM_ARN: "v1"})
    ref = SM_ARN + ":password::"
    with_known = ar.secret_versions_fingerprint(fake, fake, [ref], known={ref: "v1"})
    assert fake.calls == []
    assert with_known == ar.secret_versions_fingerprint(fake, fake, [ref])
    assert ar.secret_versions_fingerprint(fake, fake, [ref], known={ref: "v2"}) != with_known


# ---- tags --------------------------------------------------------------------------------


class FakeTagging:
    def __init__(self):
        self.calls = []

    def tag_resource(self, aws_retry=False, **kwargs):
        self.calls.append(("TagResource", kwargs))

    def untag_resource(self, aws_retry=False, **kwargs):
        self.calls.append(("UntagResource", kwargs))


@pytest.mark.parametrize("check_mode", [True, False])
def test_ensure_tags(check_mode):
    client = FakeTagging()
    changed = ar.ensure_tags(
        client,
        ARN,
        {"a": "1", "old": "x", "invoice:secrets-version": "f"},
        {"a": "2"},
        purge_tags=True,
        check_mode=check_mode,
        keep=("invoice:secrets-version",),
    )
    assert changed is True
    if check_mode:
        assert client.calls == []
    else:
        assert client.calls == [
            ("UntagResource", {"ResourceArn": ARN, "TagKeys": ["old"]}),
            ("TagResource", {"ResourceArn": ARN, "Tags": [{"Key": "a", "Value": "2"}]}),
        ]


def test_ensure_tags_no_difference_makes_no_call():
    client = FakeTagging()
    assert not ar.ensure_tags(client, ARN, {"a": "1"}, {"a": "1"}, purge_tags=True, check_mode=False)
    assert not ar.ensure_tags(client, ARN, {"a": "1"}, None, purge_tags=True, check_mode=False)
    assert not ar.ensure_tags(client, ARN, {"a": "1", "b": "2"}, {"a": "1"}, purge_tags=False, check_mode=False)
    assert client.calls == []


def test_tags_after():
    assert tf.tags_after({"a": "1", "b": "2", "k": "f"}, {"a": "3"}, True, keep=("k",)) == {"a": "3", "k": "f"}
    assert tf.tags_after({"a": "1", "b": "2"}, {"a": "3"}, False) == {"a": "3", "b": "2"}


# ---- waiters and operations ---------------------------------------------------------------


@pytest.mark.parametrize(("timeout", "delay"), [(60, 1), (30, 1), (600, 10), (1200, 15), (7200, 15)])
def test_waiter_config_scales_with_timeout(timeout, delay):
    config = waiter_config(timeout)
    assert config["Delay"] == delay
    assert config["Delay"] * (config["MaxAttempts"] - 1) >= timeout


def _service(status):
    return {
        "Service": {
            "ServiceName": "api1",
            "ServiceId": "0123456789abcdef0123456789abcdef",
            "ServiceArn": ARN,
            "CreatedAt": 0,
            "UpdatedAt": 0,
            "Status": status,
            "SourceConfiguration": {},
            "InstanceConfiguration": {},
            "AutoScalingConfigurationSummary": {},
            "NetworkConfiguration": {},
        }
    }


FAST = {"Delay": 0, "MaxAttempts": 5}


def test_service_settled_waits_through_progress_and_throttling(stubbed):
    client, stub = stubbed
    stub.add_response("describe_service", _service("OPERATION_IN_PROGRESS"), {"ServiceArn": ARN})
    stub.add_client_error("describe_service", "ThrottlingException", "Rate exceeded", 400)
    stub.add_response("describe_service", _service("RUNNING"), {"ServiceArn": ARN})
    AppRunnerWaiterFactory().get_waiter(client, "service_settled").wait(ServiceArn=ARN, WaiterConfig=FAST)


@pytest.mark.parametrize("status", ["CREATE_FAILED", "DELETE_FAILED"])
def test_service_settled_fails_on_failed_states(stubbed, status):
    client, stub = stubbed
    stub.add_response("describe_service", _service(status), {"ServiceArn": ARN})
    with pytest.raises(ar.AnsibleAppRunnerError, match=f"reached status {status}"):
        ar.wait_for_service(Retrying(client), ARN, 60)


def test_service_settled_times_out_with_the_last_status(stubbed, monkeypatch):
    client, stub = stubbed
    monkeypatch.setattr(ar, "waiter_config", lambda timeout: {"Delay": 0, "MaxAttempts": 2})
    for _ in range(2):
        stub.add_response("describe_service", _service("OPERATION_IN_PROGRESS"), {"ServiceArn": ARN})
    with pytest.raises(ar.AnsibleAppRunnerError, match=r"Timed out after 7s .* \(status OPERATION_IN_PROGRESS\)"):
        ar.wait_for_service(Retrying(client), ARN, 7)


def test_service_deleted_accepts_not_found(stubbed):
    client, stub = stubbed
    stub.add_response("describe_service", _service("OPERATION_IN_PROGRESS"), {"ServiceArn": ARN})
    stub.add_client_error("describe_service", "ResourceNotFoundException", "gone", 400)
    AppRunnerWaiterFactory().get_waiter(client, "service_deleted").wait(ServiceArn=ARN, WaiterConfig=FAST)


def test_custom_domain_waiter_watches_one_domain(stubbed):
    client, stub = stubbed

    def domains(status_a, status_b):
        return {
            "DNSTarget": "x.awsapprunner.com",
            "ServiceArn": ARN,
            "VpcDNSTargets": [],
            "CustomDomains": [
                {"DomainName": "a.example.com", "EnableWWWSubdomain": False, "Status": status_a},
                {"DomainName": "b.example.com", "EnableWWWSubdomain": False, "Status": status_b},
            ],
        }

    stub.add_response("describe_custom_domains", domains("active", "pending_certificate_dns_validation"))
    stub.add_response("describe_custom_domains", domains("active", "active"))
    waiter = AppRunnerWaiterFactory("b.example.com").get_waiter(client, "custom_domain_active")
    waiter.wait(ServiceArn=ARN, WaiterConfig=FAST)


class FakeOperations:
    def __init__(self, operations):
        self.operations = operations

    def list_operations(self, aws_retry=False, ServiceArn=None, MaxResults=None):
        return {"OperationSummaryList": self.operations}


@pytest.mark.parametrize("status", ["ROLLBACK_SUCCEEDED", "ROLLBACK_FAILED"])
def test_rolled_back_deployment_is_a_failure_naming_the_operation(status):
    client = FakeOperations([{"Id": "op-2", "Type": "UPDATE_SERVICE", "Status": status}, {"Id": "op-1"}])
    with pytest.raises(
        ar.AnsibleAppRunnerError, match=rf"was rolled back: operation op-2 \(UPDATE_SERVICE\) ended in {status}"
    ):
        ar.check_operation(client, ARN, "op-2")


def test_failed_and_succeeded_operations():
    client = FakeOperations(
        [{"Id": "op-1", "Type": "START_DEPLOYMENT", "Status": "FAILED"}, {"Id": "op-0", "Status": "SUCCEEDED"}]
    )
    with pytest.raises(ar.AnsibleAppRunnerError, match=r"Operation op-1 \(START_DEPLOYMENT\) .* failed"):
        ar.check_operation(client, ARN, "op-1")
    assert ar.check_operation(client, ARN, "op-0")["Status"] == "SUCCEEDED"


def test_error_handler_names_action_and_aws_message(stubbed):
    client, stub = stubbed
    stub.add_client_error("update_service", "InvalidStateException", "Service is in OPERATION_IN_PROGRESS", 400)
    with pytest.raises(ar.AnsibleAppRunnerError) as info:
        ar.update_service(Retrying(client), ARN, {"InstanceConfiguration": {"Cpu": "2048"}})
    assert info.value.message == f"Failed to update App Runner service {ARN}"
    assert "UpdateService operation: Service is in OPERATION_IN_PROGRESS" in str(info.value.exception)


def test_describe_missing_service_is_none(stubbed):
    client, stub = stubbed
    stub.add_client_error("describe_service", "ResourceNotFoundException", "no such service", 400)
    assert ar.describe_service(Retrying(client), ARN) is None
