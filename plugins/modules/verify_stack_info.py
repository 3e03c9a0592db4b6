#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: verify_stack_info
short_description: Read the live stack and judge it against the post-deployment checklist
version_added: 0.3.0
description:
  - Reads (never writes) the environment's resources and returns one result per check and
    resource, PASS, FAIL or WARN with its evidence (plugins/module_utils/verify.py judges).
  - "Checks: tls (the CloudFront certificate issued, attached and not expiring within 30 days;
    HTTP redirected to HTTPS; rds.force_ssl), network (the database group admits only the
    service's group on the database port; no ingress from 0.0.0.0/0; the database not public),
    iam (no wildcard beyond the documented exception, no admin policy on the stack's roles),
    secrets (by reference, no secret-looking plain variable, encrypted with the stack's keys),
    storage (every bucket encrypted, versioned, private, TLS only), monitoring (alarms with
    their thresholds and the topic, a confirmed subscription, log retention) and backups
    (retention, the newest snapshot's age)."
  - A section whose resources cannot be read reports a FAIL naming the error; the module
    itself fails only on bad options.
author:
  - Invoice platform team (@invoice-platform)
options:
  checks:
    description: Which sections to run.
    type: list
    elements: str
    choices: [tls, network, iam, secrets, storage, monitoring, backups]
    default: [tls, network, iam, secrets, storage, monitoring, backups]
  name_prefix:
    description:
      - The prefix of the stack's resources (C(<platform_name>-<platform_env>)).
      - The roles and security groups checked are those whose names start with it.
    type: str
    required: true
  database_identifier:
    description: The RDS instance.
    type: str
    required: true
  database_port:
    description: The database port the service's group may reach.
    type: int
    default: 5432
  database_security_group:
    description: Name of the database's security group.
    type: str
    required: true
  service_security_group:
    description: Name of the service's (App Runner connector's) security group.
    type: str
    required: true
  backup_retention_days:
    description: The RDS backup retention the inventory sets.
    type: int
    required: true
  max_snapshot_age_hours:
    description: The newest snapshot must be younger than this.
    type: float
    default: 26
  service_name:
    description: The App Runner service.
    type: str
    required: true
  buckets:
    description:
      - The buckets of the stack, each with the encryption it must have, C(kms) (aws:kms) or
        C(sse-s3) (AES256).
    type: dict
    required: true
  parameter_prefix:
    description: Path of the stack's SSM parameters.
    type: str
    required: true
  parameter_keys:
    description: KMS keys (aliases, ids or ARNs) the parameters may be encrypted with.
    type: list
    elements: str
    required: true
  secret_names:
    description: The stack's Secrets Manager secrets.
    type: list
    elements: str
    default: []
  secret_keys:
    description:
      - KMS keys the secrets may be encrypted with.
      - A secret with no key of its own uses alias/aws/secretsmanager.
    type: list
    elements: str
    default: [alias/aws/secretsmanager]
  alarms:
    description: Expected alarm names and their thresholds.
    type: dict
    required: true
  topic_name:
    description: The alarm topic every alarm notifies.
    type: str
    required: true
  log_group_prefixes:
    description: Log group name prefixes of the stack and the retention (days) each must have.
    type: dict
    required: true
  certificate_domain:
    description: Domain of the CloudFront certificate (read in us-east-1).
    type: str
    required: true
  cloudfront_alias:
    description: Alias of the web distribution.
    type: str
    required: true
  min_certificate_days:
    description: A certificate expiring sooner than this is a FAIL.
    type: int
    default: 30
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Judge the live stack
  invoice.platform.verify_stack_info:
    name_prefix: invoice-prod
    database_identifier: invoice-prod-db
    database_security_group: invoice-prod-database
    service_security_group: invoice-prod-apprunner-connector
    backup_retention_days: 14
    service_name: invoice-prod-api
    buckets:
      invoice-prod-files: kms
      invoice-prod-exports: kms
      invoice-prod-frontend: sse-s3
      invoice-prod-backups: kms
    parameter_prefix: /invoice/prod
    parameter_keys: [alias/aws/ssm]
    secret_names: [invoice-prod-database-master]
    alarms: {invoice-prod-db-cpu: 80}
    topic_name: invoice-prod-alarms
    log_group_prefixes: {/aws/rds/instance/invoice-prod-db/: 90}
    certificate_domain: invoice-processing.com
    cloudfront_alias: invoice-processing.com
  register: verify
"""

RETURN = r"""
results:
  description: One entry per check and resource.
  returned: always
  type: list
  elements: dict
  sample:
    - check: network.database_ingress
      resource: sg-0123 (invoice-prod-database)
      status: FAIL
      evidence: "admits more than the service's group on 5432: tcp 5432-5432 from 0.0.0.0/0"
"""

import datetime
import json

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils import verify as v
from ansible_collections.invoice.platform.plugins.module_utils._pagination import token_pages


class Gatherer:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.now = datetime.datetime.now(datetime.UTC)
        self._clients = {}

    def client(self, service, **extra):
        key = (service, tuple(sorted(extra.items())))
        if key not in self._clients:
            self._clients[key] = self.module.client(service, retry_decorator=AWSRetry.jittered_backoff(), **extra)
        return self._clients[key]

    def groups(self, *names):
        found = self.client("ec2").describe_security_groups(
            Filters=[{"Name": "group-name", "Values": list(names)}], aws_retry=True
        )
        return {g["GroupName"]: g for g in found["SecurityGroups"]}

    def db_instance(self):
        try:
            return self.client("rds").describe_db_instances(
                DBInstanceIdentifier=self.p["database_identifier"], aws_retry=True
            )["DBInstances"][0]
        except ClientError as e:
            if e.response["Error"]["Code"] == "DBInstanceNotFound":
                return None
            raise

    # --- sections -------------------------------------------------------------------------

    def tls(self):
        acm = self.client("acm", region="us-east-1")
        domain = self.p["certificate_domain"]
        summaries = [
            c
            for page in acm.get_paginator("list_certificates").paginate()
            for c in page["CertificateSummaryList"]
            if c["DomainName"] == domain
        ]
        distribution = self.distribution()
        cert = None
        if summaries:
            # The one CloudFront uses, else the newest.
            used = (
                (distribution or {}).get("DistributionConfig", {}).get("ViewerCertificate", {}).get("ACMCertificateArn")
            )
            arn = used if used in [s["CertificateArn"] for s in summaries] else summaries[-1]["CertificateArn"]
            cert = acm.describe_certificate(CertificateArn=arn, aws_retry=True)["Certificate"]
        attached = []
        if cert:
            domain = f"{domain} ({cert['CertificateArn'].rsplit('/', 1)[-1]})"
        if cert and distribution:
            if (
                distribution["DistributionConfig"].get("ViewerCertificate", {}).get("ACMCertificateArn")
                == cert["CertificateArn"]
            ):
                attached.append(f"CloudFront {distribution['Id']}")
        out = [v.judge_certificate(cert, domain, attached, self.now, self.p["min_certificate_days"])]
        out.append(v.judge_cloudfront_https(distribution, self.p["cloudfront_alias"]))
        instance = self.db_instance()
        params = {}
        if instance:
            group = instance["DBParameterGroups"][0]["DBParameterGroupName"]
            pages = self.client("rds").get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group)
            params = {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}
        out.append(v.judge_database_ssl(self.p["database_identifier"], params))
        return out

    def distribution(self):
        cloudfront = self.client("cloudfront")
        alias = self.p["cloudfront_alias"]
        for page in cloudfront.get_paginator("list_distributions").paginate():
            for item in page.get("DistributionList", {}).get("Items", []) or []:
                if alias in (item.get("Aliases", {}).get("Items") or []):
                    found = cloudfront.get_distribution(Id=item["Id"], aws_retry=True)["Distribution"]
                    return found
        return None

    def network(self):
        db_name, svc_name = self.p["database_security_group"], self.p["service_security_group"]
        named = self.groups(db_name, svc_name)
        service_id = named.get(svc_name, {}).get("GroupId", f"(no group {svc_name})")
        out = [v.judge_database_ingress(named.get(db_name), service_id, self.p["database_port"])]
        pages = (
            self.client("ec2")
            .get_paginator("describe_security_groups")
            .paginate(Filters=[{"Name": "group-name", "Values": [self.p["name_prefix"] + "-*"]}])
        )
        out += v.judge_open_ingress([g for page in pages for g in page["SecurityGroups"]])
        out.append(v.judge_database_private(self.db_instance(), self.p["database_identifier"]))
        return out

    def iam(self):
        iam = self.client("iam")
        out = []
        roles = [
            r
            for page in iam.get_paginator("list_roles").paginate()
            for r in page["Roles"]
            if r["RoleName"].startswith(self.p["name_prefix"] + "-")
        ]
        for role in roles:
            name = role["RoleName"]
            docs = {}
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
                for policy in page["PolicyNames"]:
                    docs[policy] = iam.get_role_policy(RoleName=name, PolicyName=policy, aws_retry=True)[
                        "PolicyDocument"
                    ]
            attached = [
                a["PolicyArn"]
                for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
                for a in page["AttachedPolicies"]
            ]
            aws_managed = [arn for arn in attached if arn.startswith("arn:aws:iam::aws:policy/")]
            for arn in attached:
                if arn in aws_managed:
                    continue  # AWS's own policies: judged by name only (the admin ones)
                policy = iam.get_policy(PolicyArn=arn, aws_retry=True)["Policy"]
                version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"], aws_retry=True)[
                    "PolicyVersion"
                ]
                docs[arn.rsplit("/", 1)[-1]] = version["Document"]
            out.append(v.judge_role(name, docs, attached, aws_managed))
        if not roles:
            out.append(
                v.result("iam.least_privilege", self.p["name_prefix"] + "-*", v.FAIL, "no role of the stack found")
            )
        return out

    def secrets(self):
        out = []
        apprunner = self.client("apprunner")
        summaries = (s for page in token_pages(apprunner.list_services) for s in page["ServiceSummaryList"])
        # the pages are read lazily: the loop stops at the page that holds the service
        arn = next((s["ServiceArn"] for s in summaries if s["ServiceName"] == self.p["service_name"]), None)
        if arn is None:
            out.append(v.result("secrets.by_reference", self.p["service_name"], v.FAIL, "no such App Runner service"))
        else:
            service = apprunner.describe_service(ServiceArn=arn, aws_retry=True)["Service"]
            config = service["SourceConfiguration"].get("ImageRepository", {}).get("ImageConfiguration", {})
            out += v.judge_service_secrets(
                self.p["service_name"],
                config.get("RuntimeEnvironmentVariables", {}),
                config.get("RuntimeEnvironmentSecrets", {}),
            )
        ssm = self.client("ssm")
        pages = ssm.get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [self.p["parameter_prefix"]]}]
        )
        for page in pages:
            for param in page["Parameters"]:
                if param.get("Type") != "SecureString":
                    out.append(
                        v.result(
                            "secrets.encryption", param["Name"], v.FAIL, f"type {param.get('Type')}, not SecureString"
                        )
                    )
                else:
                    out.append(v.judge_secret_key(param["Name"], param.get("KeyId"), self.p["parameter_keys"]))
        sm = self.client("secretsmanager")
        for name in self.p["secret_names"]:
            try:
                secret = sm.describe_secret(SecretId=name, aws_retry=True)
            except ClientError as e:
                out.append(v.result("secrets.encryption", name, v.FAIL, e.response["Error"]["Code"]))
                continue
            out.append(
                v.judge_secret_key(name, secret.get("KmsKeyId") or "alias/aws/secretsmanager", self.p["secret_keys"])
            )
        return out

    def storage(self):
        s3 = self.client("s3")
        out = []
        for bucket, encryption_kind in self.p["buckets"].items():
            expected = "aws:kms" if encryption_kind == "kms" else "AES256"

            def read(call, key, missing=None, bucket=bucket):
                try:
                    return call(Bucket=bucket, aws_retry=True).get(key, missing)
                except ClientError as e:
                    if e.response["Error"]["Code"] in ("NoSuchBucket",):
                        raise
                    return missing

            try:
                encryption = read(s3.get_bucket_encryption, "ServerSideEncryptionConfiguration")
                versioning = read(s3.get_bucket_versioning, "Status")
                block = read(s3.get_public_access_block, "PublicAccessBlockConfiguration")
                policy = read(s3.get_bucket_policy, "Policy")
            except ClientError:
                out.append(v.result("storage.bucket", bucket, v.FAIL, "no such bucket"))
                continue
            out.append(
                v.judge_bucket(
                    bucket,
                    dict(
                        encryption=encryption,
                        versioning=versioning,
                        public_access_block=block,
                        policy=json.loads(policy) if policy else None,
                    ),
                    expected,
                )
            )
        return out

    def monitoring(self):
        cloudwatch, sns, logs = self.client("cloudwatch"), self.client("sns"), self.client("logs")
        names = list(self.p["alarms"])
        alarms = []
        for start in range(0, len(names), 100):
            alarms += cloudwatch.describe_alarms(AlarmNames=names[start : start + 100], aws_retry=True)["MetricAlarms"]
        account = self.client("sts").get_caller_identity(aws_retry=True)["Account"]
        topic = f"arn:aws:sns:{self.module.region}:{account}:{self.p['topic_name']}"
        out = v.judge_alarms(self.p["alarms"], alarms, topic)
        try:
            subs = [
                s
                for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
                for s in page["Subscriptions"]
            ]
            out.append(v.judge_subscriptions(topic, subs))
        except ClientError as e:
            out.append(v.result("monitoring.subscription", topic, v.FAIL, e.response["Error"]["Code"]))
        for prefix, days in self.p["log_group_prefixes"].items():
            groups = [
                g
                for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix)
                for g in page["logGroups"]
            ]
            if not groups:
                out.append(
                    v.result(
                        "monitoring.log_retention",
                        prefix + "*",
                        v.WARN,
                        "no log group yet (expected with retention "
                        f"{int(days)} days; normal until the service, database or worker has written a log line)",
                    )
                )
            out += v.judge_log_groups(groups, {g["logGroupName"]: int(days) for g in groups})
        return out

    def backups(self):
        identifier = self.p["database_identifier"]
        instance = self.db_instance()
        out = [v.judge_backup_retention(identifier, instance, self.p["backup_retention_days"])]
        snapshots = []
        if instance:
            pages = self.client("rds").get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=identifier)
            snapshots = [s for page in pages for s in page["DBSnapshots"]]
        out.append(v.judge_latest_snapshot(identifier, instance, snapshots, self.now, self.p["max_snapshot_age_hours"]))
        return out


def main():
    sections = ["tls", "network", "iam", "secrets", "storage", "monitoring", "backups"]
    argument_spec = dict(
        checks=dict(type="list", elements="str", choices=sections, default=sections),
        name_prefix=dict(type="str", required=True),
        database_identifier=dict(type="str", required=True),
        database_port=dict(type="int", default=5432),
        database_security_group=dict(type="str", required=True),
        service_security_group=dict(type="str", required=True),
        backup_retention_days=dict(type="int", required=True),
        max_snapshot_age_hours=dict(type="float", default=26),
        service_name=dict(type="str", required=True),
        buckets=dict(type="dict", required=True),
        parameter_prefix=dict(type="str", required=True),
        parameter_keys=dict(type="list", elements="str", required=True, no_log=False),
        secret_names=dict(type="list", elements="str", default=[], no_log=False),
        secret_keys=dict(type="list", elements="str", default=["alias/aws/secretsmanager"], no_log=False),
        alarms=dict(type="dict", required=True),
        topic_name=dict(type="str", required=True),
        log_group_prefixes=dict(type="dict", required=True),
        certificate_domain=dict(type="str", required=True),
        cloudfront_alias=dict(type="str", required=True),
        min_certificate_days=dict(type="int", default=30),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    gatherer = Gatherer(module)
    results = []
    for section in module.params["checks"]:
        try:
            results += getattr(gatherer, section)()
        except (BotoCoreError, ClientError) as e:
            results.append(v.result(section, "(reading)", v.FAIL, f"could not read the {section} resources: {e}"))
    module.exit_json(changed=False, results=results)


if __name__ == "__main__":
    main()
