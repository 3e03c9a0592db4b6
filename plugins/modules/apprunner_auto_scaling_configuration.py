#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_auto_scaling_configuration
version_added: 0.1.0
short_description: Manage AWS App Runner auto scaling configurations and their revisions
description:
  - App Runner auto scaling configurations are immutable, named, numbered revisions. This module
    manages a name; it creates a new revision only when the settings of the latest revision differ
    from those the task sets, and keeps at most O(keep_revisions) revisions of the name.
  - Older revisions that no service uses are deleted so that the App Runner quota of five revisions
    per name is never hit. Revisions a service still uses are never deleted; when all five revisions
    are in use a new one cannot be created and the module fails, naming them.
  - A service that refers to the configuration by name (see M(invoice.platform.apprunner_service))
    moves to the new revision on its next run.
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description:
      - Name of the auto scaling configuration (4-32 characters).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the configuration; V(absent) deletes all its revisions, and fails
        while a service uses one (in check mode it warns instead, since a plan may delete the service first).
    type: str
    choices: ['present', 'absent']
    default: present
  max_concurrency:
    description:
      - Concurrent requests one instance handles before App Runner scales up (1-200). AWS default 100.
    type: int
  min_size:
    description:
      - Instances App Runner keeps provisioned (1-25). AWS default 1.
    type: int
  max_size:
    description:
      - Maximum number of instances (1-25). AWS default 25.
    type: int
  keep_revisions:
    description:
      - How many of the newest revisions to keep (1-5). Older ones are deleted unless a service uses them.
    type: int
    default: 2
notes:
  - Unset settings keep the value of the latest revision (or the AWS default for the first one).
  - Tags apply to the latest revision (App Runner tags each revision separately).
  - Supports check mode and diff mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Scale the API between 1 and 4 instances
  invoice.platform.apprunner_auto_scaling_configuration:
    name: invoice-api
    min_size: 1
    max_size: 4
    max_concurrency: 80
    tags:
      project: invoice

- name: Remove the configuration (fails while a service uses a revision)
  invoice.platform.apprunner_auto_scaling_configuration:
    name: invoice-api
    state: absent
"""

RETURN = r"""
auto_scaling_configuration:
  description: The latest revision (snake_case DescribeAutoScalingConfiguration output) with its tags.
  returned: >-
    when state=present. In check mode, when a new revision would be created, the revision planned: the settings it
    will have, its revision number, and in place of its ARN the stand-in
    C((auto scaling configuration NAME revision N, to be created)), which M(invoice.platform.apprunner_service)
    takes as the configuration a service moves to (so its plan shows that move).
  type: dict
  contains:
    auto_scaling_configuration_arn:
      description: ARN of the revision.
      type: str
    auto_scaling_configuration_revision:
      description: Revision number.
      type: int
    max_concurrency:
      description: Max concurrency.
      type: int
    min_size:
      description: Min size.
      type: int
    max_size:
      description: Max size.
      type: int
    tags:
      description: Tags of the revision.
      type: dict
revisions:
  description: Revisions of the name after the run, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: ARN of the revision.
      type: str
    revision:
      description: Revision number.
      type: int
    in_use:
      description: Whether a service uses the revision.
      type: bool
deleted_revisions:
  description: ARNs of the revisions the module deleted (would delete, in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.invoice.platform.plugins.module_utils._apprunner import transformations as tf
from ansible_collections.invoice.platform.plugins.module_utils._options import tag_options
from ansible_collections.invoice.platform.plugins.module_utils.apprunner import (
    create_auto_scaling_configuration,
    delete_auto_scaling_configuration,
    describe_auto_scaling_configuration,
    ensure_tags,
    get_tags,
    list_auto_scaling_revisions,
    not_yet_created,
    run_module,
    to_ansible,
)

QUOTA = 5  # revisions per name (App Runner service quota)
DEFAULTS = dict(MaxConcurrency=100, MinSize=1, MaxSize=25)
SETTINGS = (
    ("max_concurrency", "MaxConcurrency", 1, 200),
    ("min_size", "MinSize", 1, 25),
    ("max_size", "MaxSize", 1, 25),
)


def validate_options(module):
    params = module.params
    for option, _key, low, high in SETTINGS:
        value = params[option]
        if value is not None and not low <= value <= high:
            module.fail_json(msg=f"{option} must be between {low} and {high}, got {value}")
    if params["min_size"] is not None and params["max_size"] is not None and params["min_size"] > params["max_size"]:
        module.fail_json(msg=f"min_size ({params['min_size']}) is greater than max_size ({params['max_size']})")
    if not 1 <= params["keep_revisions"] <= QUOTA:
        module.fail_json(msg=f"keep_revisions must be between 1 and {QUOTA}, got {params['keep_revisions']}")


def settings_of(config):
    return {key: config.get(key) for _o, key, _l, _h in SETTINGS}


def desired_settings(params, current):
    base = settings_of(current) if current else dict(DEFAULTS)
    for option, key, _low, _high in SETTINGS:
        if params[option] is not None:
            base[key] = params[option]
    return base


def revisions_to_delete(revisions, keep, new_revision):
    """Revisions (oldest first) to delete so that at most ``keep`` remain and a new one fits the quota.

    Revisions in use are never chosen. ``new_revision`` counts the revision about to be created.
    """
    total = len(revisions) + (1 if new_revision else 0)
    excess = max(0, total - keep)
    unused = [r for r in revisions if not r.get("HasAssociatedService")]
    if new_revision:
        # The current latest stays until its successor exists, unless the quota leaves no room.
        unused_old = [r for r in unused if r is not revisions[-1]]
        room_needed = max(0, len(revisions) + 1 - QUOTA)
        excess = max(excess, room_needed)
        candidates = unused_old + [r for r in unused if r is revisions[-1]]
    else:
        candidates = [r for r in unused if r is not revisions[-1]]
    return candidates[:excess]


def planned_revision(name, latest, want, revision):
    """The revision a check-mode run would create: the settings it will have, and a stand-in for
    the ARN App Runner gives it, so that the service task of the same run plans its move to it."""
    return dict(
        latest or {},
        **want,
        AutoScalingConfigurationName=name,
        AutoScalingConfigurationRevision=revision,
        AutoScalingConfigurationArn=not_yet_created("auto scaling configuration", f"{name} revision {revision}"),
        Latest=True,
        Status="ACTIVE",
    )


def ensure_absent(module, client, revisions):
    deleted = [r["AutoScalingConfigurationArn"] for r in revisions]
    in_use = [r["AutoScalingConfigurationRevision"] for r in revisions if r.get("HasAssociatedService")]
    if in_use and module.check_mode:
        # a plan (a teardown's) may delete the service earlier in the same run
        module._module.warn(
            f"Auto scaling configuration {module.params['name']} revision(s) {in_use} are used by a service"
        )
    elif in_use:
        module.fail_json(
            msg=f"Auto scaling configuration {module.params['name']} revision(s) {in_use} are used by a service; "
            "point the service(s) at another configuration first"
        )
    if revisions and not module.check_mode:
        delete_auto_scaling_configuration(client, revisions[-1]["AutoScalingConfigurationArn"], all_revisions=True)
    return dict(
        changed=bool(revisions),
        revisions=[],
        deleted_revisions=deleted,
        diff=dict(before=dict(revisions=[r["AutoScalingConfigurationRevision"] for r in revisions]), after={}),
    )


def ensure_present(module, client, revisions):  # noqa: PLR0912 (one branch per outcome, read top-down)
    params = module.params
    name = params["name"]
    latest = (
        describe_auto_scaling_configuration(client, revisions[-1]["AutoScalingConfigurationArn"]) if revisions else None
    )
    want = desired_settings(params, latest)
    if want["MinSize"] > want["MaxSize"]:
        module.fail_json(msg=f"min_size ({want['MinSize']}) would exceed max_size ({want['MaxSize']})")
    have = settings_of(latest) if latest else {}
    new_revision = want != have
    to_delete = revisions_to_delete(revisions, params["keep_revisions"], new_revision)
    if new_revision and len(revisions) - len(to_delete) >= QUOTA:
        module.fail_json(
            msg=f"Auto scaling configuration {name} has {QUOTA} revisions, all used by services; a new revision "
            "would exceed the App Runner quota. Move services to the latest revision so older ones can be deleted"
        )
    tags = get_tags(client, latest["AutoScalingConfigurationArn"]) if latest and params["tags"] is not None else {}
    tags_changed = (
        latest is not None
        and not new_revision
        and ensure_tags(client, None, tags, params["tags"], purge_tags=params["purge_tags"], check_mode=True)
    )
    changed = new_revision or bool(to_delete) or tags_changed
    snake = {o: have.get(k) for o, k, _l, _h in SETTINGS}
    diff = dict(
        before=dict(snake, revision=latest["AutoScalingConfigurationRevision"]) if latest else {},
        after={o: want[k] for o, k, _l, _h in SETTINGS},
    )
    if new_revision:
        diff["after"]["revision"] = (latest["AutoScalingConfigurationRevision"] + 1) if latest else 1
    elif latest:
        diff["after"]["revision"] = latest["AutoScalingConfigurationRevision"]
    if params["tags"] is not None:
        diff["before"]["tags"] = tags
        diff["after"]["tags"] = tf.tags_after(tags, params["tags"], params["purge_tags"]) if latest else params["tags"]
    deleted = [r["AutoScalingConfigurationArn"] for r in to_delete]
    if module.check_mode or not changed:
        remaining = [r for r in revisions if r not in to_delete]
        config = planned_revision(name, latest, want, diff["after"]["revision"]) if new_revision else latest
        if new_revision:  # a new revision is created with the task's tags only
            tags = params["tags"]
        return dict(changed=changed, config=config, tags=tags, revisions=remaining, deleted=deleted, diff=diff)

    # Make room first when the quota demands it, then create, then trim to keep_revisions.
    gone = set()
    for rev in to_delete:
        if rev is not revisions[-1] and len(revisions) - len(gone) >= QUOTA:
            delete_auto_scaling_configuration(client, rev["AutoScalingConfigurationArn"])
            gone.add(rev["AutoScalingConfigurationArn"])
    if new_revision:
        request = dict(AutoScalingConfigurationName=name, **want)
        if params["tags"]:
            request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
        latest = create_auto_scaling_configuration(client, request)
    else:
        ensure_tags(
            client,
            latest["AutoScalingConfigurationArn"],
            tags,
            params["tags"],
            purge_tags=params["purge_tags"],
            check_mode=False,
        )
    for arn in deleted:
        if arn not in gone:
            delete_auto_scaling_configuration(client, arn)
    arn = latest["AutoScalingConfigurationArn"]
    config = describe_auto_scaling_configuration(client, arn)
    return dict(
        changed=True,
        config=config,
        tags=get_tags(client, arn) if params["tags"] is not None else None,
        revisions=list_auto_scaling_revisions(client, name),
        deleted=deleted,
        diff=diff,
    )


def converge(module, client):
    revisions = list_auto_scaling_revisions(client, module.params["name"])
    if module.params["state"] == "absent":
        return ensure_absent(module, client, revisions)
    outcome = ensure_present(module, client, revisions)
    result = dict(changed=outcome["changed"], deleted_revisions=outcome["deleted"], diff=outcome["diff"])
    result["revisions"] = [
        dict(
            arn=r["AutoScalingConfigurationArn"],
            revision=r["AutoScalingConfigurationRevision"],
            in_use=bool(r.get("HasAssociatedService")),
        )
        for r in outcome["revisions"]
    ]
    if outcome["config"]:
        result["auto_scaling_configuration"] = to_ansible(outcome["config"], tags=outcome["tags"])
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        max_concurrency=dict(type="int"),
        min_size=dict(type="int"),
        max_size=dict(type="int"),
        keep_revisions=dict(type="int", default=2),
        **tag_options(),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate_options(module)
    client = module.client("apprunner", retry_decorator=AWSRetry.jittered_backoff())
    run_module(module, lambda: converge(module, client))


if __name__ == "__main__":
    main()
