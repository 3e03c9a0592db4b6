"""Count what a converged stack manages, read back from the endpoint.

``python -m bench.stack_bench`` divides the no-op re-run's reads by these counts. The
benchmark runs against a private endpoint, so everything on it except the defaults moto
creates by itself (default VPC and its subnets, route table, security group; Route 53's SOA
and NS records; App Runner's DefaultConfiguration) belongs to the stack.

Two levels are counted, and both are reported:

- ``resources``: AWS objects with their own identifier (id, ARN or name): VPC, subnet,
  route table, internet and NAT gateway, Elastic IP, security group, bucket, KMS key and
  alias, parameter, secret, DB instance / subnet group / parameter group, IAM role and
  inline policy, hosted zone and record set, certificate, ECR repository and image, App
  Runner service / auto-scaling configuration / VPC connector / custom domain, CloudFront
  distribution / origin access control / response headers policy, SNS topic and
  subscription, alarm, log group, site object.
- ``settings``: configuration objects AWS keeps, reads and writes through their own API
  calls but files under a parent: S3 bucket subresources (versioning, encryption, public
  access block, ownership controls, policy, lifecycle, CORS, tagging), route table
  associations and non-local routes, security group rules (``sgr-`` ids), the ECR
  repository's lifecycle policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

_S3_SETTINGS: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "versioning": ("get_bucket_versioning", lambda r: r.get("Status") == "Enabled"),
    "encryption": ("get_bucket_encryption", lambda r: bool(r.get("ServerSideEncryptionConfiguration"))),
    "public_access_block": ("get_public_access_block", lambda r: bool(r.get("PublicAccessBlockConfiguration"))),
    "ownership_controls": ("get_bucket_ownership_controls", lambda r: bool(r.get("OwnershipControls"))),
    "policy": ("get_bucket_policy", lambda r: bool(r.get("Policy"))),
    "lifecycle": ("get_bucket_lifecycle_configuration", lambda r: bool(r.get("Rules"))),
    "cors": ("get_bucket_cors", lambda r: bool(r.get("CORSRules"))),
    "tagging": ("get_bucket_tagging", lambda r: bool(r.get("TagSet"))),
}


def _client(url: str, service: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _present(call: Callable[..., dict[str, Any]], test: Callable[[dict[str, Any]], bool], **kwargs: Any) -> bool:
    try:
        return test(call(**kwargs))
    except ClientError:
        return False


def _ec2(url: str, resources: dict[str, int], settings: dict[str, int]) -> None:
    ec2 = _client(url, "ec2")
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    resources["ec2 vpc"] = len(vpcs)
    if not vpcs:
        return
    in_vpcs = [{"Name": "vpc-id", "Values": vpcs}]
    resources["ec2 subnet"] = len(ec2.describe_subnets(Filters=in_vpcs)["Subnets"])
    tables = ec2.describe_route_tables(Filters=in_vpcs)["RouteTables"]
    own_tables = [t for t in tables if not any(a.get("Main") for a in t.get("Associations", []))]
    resources["ec2 route table"] = len(own_tables)
    settings["ec2 route table association"] = sum(
        1 for t in own_tables for a in t.get("Associations", []) if not a.get("Main")
    )
    settings["ec2 route"] = sum(1 for t in own_tables for r in t.get("Routes", []) if r.get("GatewayId") != "local")
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": vpcs}])
    resources["ec2 internet gateway"] = len(igws["InternetGateways"])
    nats = ec2.describe_nat_gateways(Filters=[*in_vpcs, {"Name": "state", "Values": ["pending", "available"]}])
    resources["ec2 nat gateway"] = len(nats["NatGateways"])
    resources["ec2 elastic ip"] = sum(len(n.get("NatGatewayAddresses", [])) for n in nats["NatGateways"])
    groups = [g for g in ec2.describe_security_groups(Filters=in_vpcs)["SecurityGroups"] if g["GroupName"] != "default"]
    resources["ec2 security group"] = len(groups)
    group_ids = [g["GroupId"] for g in groups]
    if group_ids:
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": group_ids}])
        settings["ec2 security group rule"] = len(rules["SecurityGroupRules"])


def _s3(url: str, resources: dict[str, int], settings: dict[str, int]) -> None:
    s3 = _client(url, "s3")
    buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    resources["s3 bucket"] = len(buckets)
    objects = 0
    for bucket in buckets:
        for name, (method, test) in _S3_SETTINGS.items():
            if _present(getattr(s3, method), test, Bucket=bucket):
                settings[f"s3 bucket {name}"] = settings.get(f"s3 bucket {name}", 0) + 1
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            objects += page.get("KeyCount", 0)
    resources["s3 object"] = objects


def _others(url: str, resources: dict[str, int], settings: dict[str, int]) -> None:
    kms = _client(url, "kms")
    keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    resources["kms key"] = sum(1 for k in keys if kms.describe_key(KeyId=k)["KeyMetadata"]["KeyManager"] == "CUSTOMER")
    resources["kms alias"] = sum(
        1 for a in kms.list_aliases()["Aliases"] if not a["AliasName"].startswith("alias/aws/")
    )
    resources["ssm parameter"] = len(_client(url, "ssm").describe_parameters()["Parameters"])
    resources["secretsmanager secret"] = len(_client(url, "secretsmanager").list_secrets()["SecretList"])

    rds = _client(url, "rds")
    resources["rds instance"] = len(rds.describe_db_instances()["DBInstances"])
    resources["rds subnet group"] = len(rds.describe_db_subnet_groups()["DBSubnetGroups"])
    resources["rds parameter group"] = sum(
        1
        for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
        if not g["DBParameterGroupName"].startswith("default.")
    )

    iam = _client(url, "iam")
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")]
    resources["iam role"] = len(roles)
    resources["iam inline policy"] = sum(len(iam.list_role_policies(RoleName=r)["PolicyNames"]) for r in roles)
    settings["iam attached policy"] = sum(
        len(iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]) for r in roles
    )

    route53 = _client(url, "route53")
    zones = route53.list_hosted_zones()["HostedZones"]
    resources["route53 zone"] = len(zones)
    resources["route53 record set"] = sum(
        1
        for z in zones
        for r in route53.list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"]
        if r["Type"] not in ("SOA", "NS") or r["Name"].rstrip(".") != z["Name"].rstrip(".")
    )
    resources["acm certificate"] = len(_client(url, "acm").list_certificates()["CertificateSummaryList"])

    ecr = _client(url, "ecr")
    repos = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
    resources["ecr repository"] = len(repos)
    resources["ecr image"] = sum(len(ecr.list_images(repositoryName=r)["imageIds"]) for r in repos)
    settings["ecr lifecycle policy"] = sum(
        1 for r in repos if _present(ecr.get_lifecycle_policy, lambda x: True, repositoryName=r)
    )

    apprunner = _client(url, "apprunner")
    services = apprunner.list_services()["ServiceSummaryList"]
    resources["apprunner service"] = len(services)
    resources["apprunner auto scaling configuration"] = sum(
        1
        for c in apprunner.list_auto_scaling_configurations()["AutoScalingConfigurationSummaryList"]
        if c["AutoScalingConfigurationName"] != "DefaultConfiguration"
    )
    resources["apprunner vpc connector"] = len(apprunner.list_vpc_connectors()["VpcConnectors"])
    resources["apprunner custom domain"] = sum(
        len(apprunner.describe_custom_domains(ServiceArn=s["ServiceArn"])["CustomDomains"]) for s in services
    )

    cloudfront = _client(url, "cloudfront")
    resources["cloudfront distribution"] = cloudfront.list_distributions()["DistributionList"].get("Quantity", 0)
    resources["cloudfront origin access control"] = cloudfront.list_origin_access_controls()[
        "OriginAccessControlList"
    ].get("Quantity", 0)
    resources["cloudfront response headers policy"] = len(
        cloudfront.list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"].get("Items", [])
    )

    sns = _client(url, "sns")
    resources["sns topic"] = len(sns.list_topics()["Topics"])
    resources["sns subscription"] = len(sns.list_subscriptions()["Subscriptions"])
    resources["cloudwatch alarm"] = len(_client(url, "cloudwatch").describe_alarms()["MetricAlarms"])
    resources["logs log group"] = len(_client(url, "logs").describe_log_groups()["logGroups"])


def managed(url: str) -> dict[str, dict[str, int]]:
    """Resources and settings on the endpoint at ``url``, by type (zero counts left out)."""
    resources: dict[str, int] = {}
    settings: dict[str, int] = {}
    _ec2(url, resources, settings)
    _s3(url, resources, settings)
    _others(url, resources, settings)
    return {
        "resources": {k: v for k, v in sorted(resources.items()) if v},
        "settings": {k: v for k, v in sorted(settings.items()) if v},
    }
