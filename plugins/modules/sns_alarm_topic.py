#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: sns_alarm_topic
short_description: A standard SNS topic with its subscriptions and tags, read in three calls
version_added: 0.2.0
description:
  - Creates, updates or deletes a standard (not FIFO) SNS topic, its display name, its
    subscriptions and its tags - what an alarm topic needs.
  - What this fixes over M(community.aws.sns_topic) (plus M(community.aws.sns_topic_info) for
    check mode) - a no-op run reads the topic with one C(GetTopicAttributes), one
    C(ListSubscriptionsByTopic) and one C(ListTagsForResource) instead of listing every topic in
    the region several times and reading the attributes, subscriptions and tags twice or three
    times; and check mode reports a topic that does not exist yet as "would create" instead of
    failing.
  - With O(account_id) the topic ARN is derived from the name, region and account and no
    C(ListTopics) is made; without it the topic is found with C(ListTopics).
  - Check mode makes no mutating call; diff mode shows the display name, subscriptions and tags.
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description: Name of the topic.
    type: str
    required: true
  account_id:
    description:
      - Account the topic lives in. When set the topic ARN is derived (no C(ListTopics)).
    type: str
  display_name:
    description:
      - Display name of the topic (the sender name of e-mail notifications). Not changed when unset.
    type: str
  subscriptions:
    description: The subscriptions of the topic.
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description: Protocol, for example C(email), C(https), C(sqs).
        type: str
        required: true
      endpoint:
        description: Endpoint (an e-mail address, URL or ARN).
        type: str
        required: true
  purge_subscriptions:
    description:
      - Unsubscribe confirmed subscriptions that are not in O(subscriptions). Subscriptions that
        are still pending confirmation cannot be unsubscribed and are left alone.
    type: bool
    default: true
  state:
    description: V(present) creates or updates the topic; V(absent) deletes it (and its subscriptions).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Topic policies, delivery policies, encryption and subscription attributes are not managed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the alarm topic e-mails the operators
  invoice.platform.sns_alarm_topic:
    name: shop-prod-alarms
    account_id: "123456789012"
    display_name: shop-prod alarms
    subscriptions:
      - protocol: email
        endpoint: ops@example.com
    tags:
      Name: shop-prod-alarms

- name: Delete the topic
  invoice.platform.sns_alarm_topic:
    name: shop-prod-alarms
    account_id: "123456789012"
    state: absent
"""

RETURN = r"""
sns_arn:
  description: ARN of the topic (the derived ARN for a topic check mode would create; empty when it cannot be known).
  returned: always
  type: str
  sample: arn:aws:sns:us-east-1:123456789012:shop-prod-alarms
topic:
  description: The topic after the run (empty when absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
    display_name:
      description: Display name.
      type: str
    subscriptions:
      description: Subscriptions, as C(protocol) and C(endpoint).
      type: list
      elements: dict
    tags:
      description: Tags.
      type: dict
subscriptions_added:
  description: Subscriptions added (or that check mode would add), as C(protocol:endpoint).
  returned: always
  type: list
  elements: str
  sample: ["email:ops@example.com"]
subscriptions_deleted:
  description: Subscriptions removed (or that check mode would remove), as C(protocol:endpoint).
  returned: always
  type: list
  elements: str
  sample: []
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.invoice.platform.plugins.module_utils._options import dict_list, tag_options
from ansible_collections.invoice.platform.plugins.module_utils._tags import tag_plan

# Subscriptions in these states have no ARN that Unsubscribe accepts.
UNSUBSCRIBABLE = ("PendingConfirmation", "Deleted")


def partition(region):
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@AWSRetry.jittered_backoff()
def _paginate(client, operation, key, **params):
    return client.get_paginator(operation).paginate(**params).build_full_result()[key]


def find_topic_arn(module, client):
    """The topic's ARN: derived from account_id, else found with ListTopics ('' when there is none)."""
    name = module.params["name"]
    account_id = module.params["account_id"]
    if account_id:
        region = client.meta.region_name
        return f"arn:{partition(region)}:sns:{region}:{account_id}:{name}"
    try:
        topics = _paginate(client, "list_topics", "Topics")
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to list the SNS topics")
    return next((t["TopicArn"] for t in topics if t["TopicArn"].split(":")[-1] == name), "")


def read_attributes(module, client, arn):
    """The topic's attributes, or None when it does not exist."""
    if not arn:
        return None
    try:
        return client.get_topic_attributes(aws_retry=True, TopicArn=arn)["Attributes"]
    except is_boto3_error_code("NotFound"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read the SNS topic {arn}")


def sub_key(protocol, endpoint):
    return f"{protocol.lower()}:{endpoint}"


def wanted_subscriptions(module):
    return {sub_key(s["protocol"], s["endpoint"]): s for s in module.params["subscriptions"]}


def ensure_display_name(module, client, arn, attributes, diff):
    wanted = module.params["display_name"]
    current = attributes.get("DisplayName", "")
    if wanted is None or wanted == current:
        return False
    diff["before"]["display_name"], diff["after"]["display_name"] = current, wanted
    if module.check_mode:
        return True
    try:
        client.set_topic_attributes(aws_retry=True, TopicArn=arn, AttributeName="DisplayName", AttributeValue=wanted)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to set the display name of {arn}")
    return True


def ensure_subscriptions(module, client, arn, diff, result):
    try:
        existing = _paginate(client, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to list the subscriptions of {arn}")
    current = {sub_key(s["Protocol"], s["Endpoint"]): s for s in existing}
    wanted = wanted_subscriptions(module)
    added = sorted(k for k in wanted if k not in current)
    deleted = []
    if module.params["purge_subscriptions"]:
        deleted = sorted(
            k for k, s in current.items() if k not in wanted and s["SubscriptionArn"] not in UNSUBSCRIBABLE
        )
    kept = sorted(k for k in current if k not in deleted)
    result["subscriptions"] = kept + added
    if not added and not deleted:
        return False
    diff["before"]["subscriptions"] = sorted(current)
    diff["after"]["subscriptions"] = sorted(kept + added)
    result["subscriptions_added"], result["subscriptions_deleted"] = added, deleted
    if module.check_mode:
        return True
    for key in deleted:
        try:
            client.unsubscribe(aws_retry=True, SubscriptionArn=current[key]["SubscriptionArn"])
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg=f"Failed to unsubscribe {key} from {arn}")
    subscribe(module, client, arn, [wanted[key] for key in added])
    return True


def subscribe(module, client, arn, subscriptions):
    for sub in subscriptions:
        try:
            client.subscribe(aws_retry=True, TopicArn=arn, Protocol=sub["protocol"], Endpoint=sub["endpoint"])
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg=f"Failed to subscribe {sub_key(sub['protocol'], sub['endpoint'])} to {arn}")


def ensure_tags(module, client, arn, diff, result):
    wanted = module.params["tags"]
    if wanted is None:
        return False
    try:
        current = boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, ResourceArn=arn)["Tags"])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to read the tags of {arn}")
    to_set, to_remove, after = tag_plan(current, wanted, module.params["purge_tags"])
    result["tags"] = after
    if not to_set and not to_remove:
        return False
    diff["before"]["tags"], diff["after"]["tags"] = current, after
    if module.check_mode:
        return True
    try:
        if to_remove:
            client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=to_remove)
        if to_set:
            client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to update the tags of {arn}")
    return True


def create_topic(module, client, arn, diff, result):
    """Create the topic with its display name, tags and subscriptions; returns its ARN."""
    params = module.params
    wanted = wanted_subscriptions(module)
    tags = params["tags"] or {}
    diff["after"] = {
        "name": params["name"],
        "display_name": params["display_name"] or "",
        "subscriptions": sorted(wanted),
        "tags": tags,
    }
    result.update(subscriptions=sorted(wanted), subscriptions_added=sorted(wanted), tags=tags)
    if module.check_mode:
        return arn
    attributes = {"DisplayName": params["display_name"]} if params["display_name"] else {}
    try:
        arn = client.create_topic(
            aws_retry=True, Name=params["name"], Attributes=attributes, Tags=ansible_dict_to_boto3_tag_list(tags)
        )["TopicArn"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to create the SNS topic {params['name']}")
    subscribe(module, client, arn, [wanted[key] for key in sorted(wanted)])
    return arn


def delete_topic(module, client, arn, attributes, diff):
    if attributes is None:
        return False
    diff["before"] = {"name": module.params["name"], "display_name": attributes.get("DisplayName", "")}
    if module.check_mode:
        return True
    try:
        # Deleting a topic deletes its subscriptions.
        client.delete_topic(aws_retry=True, TopicArn=arn)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to delete the SNS topic {arn}")
    return True


def split_key(key):
    protocol, _sep, endpoint = key.partition(":")
    return {"protocol": protocol, "endpoint": endpoint}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        account_id=dict(type="str"),
        display_name=dict(type="str"),
        subscriptions=dict_list(protocol=dict(type="str", required=True), endpoint=dict(type="str", required=True)),
        purge_subscriptions=dict(type="bool", default=True),
        **tag_options(),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    name = module.params["name"]
    if not name or ":" in name or name.endswith(".fifo") or len(name) > 256:
        module.fail_json(
            msg=f"name must be a standard SNS topic name (no ':', not .fifo, at most 256 characters), got {name!r}"
        )
    if module.params["account_id"] is not None and not (
        module.params["account_id"].isdigit() and len(module.params["account_id"]) == 12
    ):
        module.fail_json(msg=f"account_id must be 12 digits, got {module.params['account_id']!r}")

    client = module.client("sns", retry_decorator=AWSRetry.jittered_backoff())
    arn = find_topic_arn(module, client)
    attributes = read_attributes(module, client, arn)
    diff = {"before": {}, "after": {}}
    result = {"subscriptions": [], "subscriptions_added": [], "subscriptions_deleted": [], "tags": {}}

    if module.params["state"] == "absent":
        changed = delete_topic(module, client, arn, attributes, diff)
        topic, arn = {}, arn if attributes is not None else ""
    else:
        if attributes is None:
            changed = True
            arn = create_topic(module, client, arn, diff, result)
            display_name = module.params["display_name"] or ""
        else:
            changed = ensure_display_name(module, client, arn, attributes, diff)
            changed |= ensure_subscriptions(module, client, arn, diff, result)
            changed |= ensure_tags(module, client, arn, diff, result)
            display_name = attributes.get("DisplayName", "")
            if module.params["display_name"] is not None:
                display_name = module.params["display_name"]
        topic = {
            "name": name,
            "display_name": display_name,
            "subscriptions": [split_key(k) for k in result["subscriptions"]],
            "tags": result["tags"],
        }
    exit_args = dict(
        changed=changed,
        sns_arn=arn,
        topic=topic,
        subscriptions_added=result["subscriptions_added"],
        subscriptions_deleted=result["subscriptions_deleted"],
    )
    if module._diff:
        exit_args["diff"] = diff
    module.exit_json(**exit_args)


if __name__ == "__main__":
    main()
