#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudwatch_log_tail_info
version_added: 0.3.0
short_description: The last lines of the newest stream of a CloudWatch Logs log group
description:
  - Reads the newest log stream of O(log_group) (by last event time) and returns its last O(lines) messages, oldest
    first. Written for the deploy role, which names the cause of a failed release with the last lines of the
    application log App Runner writes (C(/aws/apprunner/<service>/<service id>/application)).
  - Neither amazon.aws nor community.aws has a module that reads log events.
  - Read-only; runs in check mode too. A log group that does not exist gives no lines.
author:
  - Invoice platform team (@invoice-platform)
options:
  log_group:
    description: Name of the log group.
    type: str
    required: true
  lines:
    description: Number of messages to return (1-1000).
    type: int
    default: 20
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the last lines of the service's application log
  invoice.platform.cloudwatch_log_tail_info:
    log_group: /aws/apprunner/invoice-prod-api/0123456789abcdef0123456789abcdef/application
    lines: 30
  register: app_log
"""

RETURN = r"""
log_stream:
  description: Name of the stream read, or an empty string when the group has none.
  returned: always
  type: str
lines:
  description: The last messages of the stream, oldest first.
  returned: always
  type: list
  elements: str
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def newest_stream(client, group):
    try:
        streams = client.describe_log_streams(aws_retry=True, logGroupName=group)["logStreams"]
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise
    streams.sort(key=lambda s: (s.get("lastEventTimestamp", 0), s.get("creationTime", 0)))
    return streams[-1]["logStreamName"] if streams else None


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(log_group=dict(type="str", required=True), lines=dict(type="int", default=20)),
        supports_check_mode=True,
    )
    if not 1 <= module.params["lines"] <= 1000:
        module.fail_json(msg=f"lines must be 1-1000, got {module.params['lines']}")
    client = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
    group = module.params["log_group"]
    try:
        stream = newest_stream(client, group)
        events = []
        if stream is not None:
            events = client.get_log_events(
                aws_retry=True,
                logGroupName=group,
                logStreamName=stream,
                limit=module.params["lines"],
                startFromHead=False,
            )["events"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Reading the log group {group} failed")
    module.exit_json(
        changed=False, log_stream=stream or "", lines=[e["message"] for e in events][-module.params["lines"] :]
    )


if __name__ == "__main__":
    main()
