#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecr_image_info
version_added: 0.2.0
short_description: Read an image of an ECR repository and, optionally, a registry login token
description:
  - Written for the deploy role (until 0.2.0 its private C(deploy_ecr_image)). Neither amazon.aws nor
    community.aws has a module that reads ECR images (C(DescribeImages)) or the registry login token
    (C(GetAuthorizationToken)).
  - Read-only; never changes anything, so it runs in check mode too.
author:
  - Invoice platform team (@invoice-platform)
options:
  repository:
    description: Name of the ECR repository.
    type: str
    required: true
  tag:
    description: Image tag to look up.
    type: str
    required: true
  authorization_token:
    description:
      - Also return the registry's login password in RV(password) (run the task with C(no_log)).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Look for the image in ECR
  invoice.platform.ecr_image_info:
    repository: invoice-api
    tag: 4f2a9c1d0e3b
  register: existing

- name: Get the registry login (the password is a secret)
  invoice.platform.ecr_image_info:
    repository: invoice-api
    tag: 4f2a9c1d0e3b
    authorization_token: true
  register: login
  no_log: true
"""

RETURN = r"""
exists:
  description: Whether the repository holds an image with the tag.
  returned: always
  type: bool
image:
  description: DescribeImages' image detail (snake_case) when it exists.
  returned: when exists
  type: dict
digest:
  description: The image digest, or an empty string.
  returned: always
  type: str
registry:
  description: The registry host name (ACCOUNT.dkr.ecr.REGION.amazonaws.com).
  returned: when O(authorization_token=true)
  type: str
password:
  description: The registry login password (secret; the module's output is marked no_log for it).
  returned: when O(authorization_token=true)
  type: str
"""

import base64

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            repository=dict(type="str", required=True),
            tag=dict(type="str", required=True),
            authorization_token=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    client = module.client("ecr", retry_decorator=AWSRetry.jittered_backoff())
    result = dict(changed=False, exists=False, digest="")
    try:
        found = client.describe_images(
            aws_retry=True, repositoryName=module.params["repository"], imageIds=[{"imageTag": module.params["tag"]}]
        )["imageDetails"]
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] not in ("ImageNotFoundException", "RepositoryNotFoundException"):
            module.fail_json_aws(
                e, msg=f"DescribeImages of {module.params['repository']}:{module.params['tag']} failed"
            )
        found = []
    except botocore.exceptions.BotoCoreError as e:
        module.fail_json_aws(e, msg="DescribeImages failed")
    if found:
        result.update(exists=True, image=camel_dict_to_snake_dict(found[0]), digest=found[0]["imageDigest"])
    if module.params["authorization_token"]:
        try:
            data = client.get_authorization_token(aws_retry=True)["authorizationData"][0]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="GetAuthorizationToken failed")
        user_password = base64.b64decode(data["authorizationToken"]).decode()
        password = user_password.split(":", 1)[1] if ":" in user_password else user_password
        result.update(registry=data["proxyEndpoint"].split("://")[-1].rstrip("/"), password=password)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
