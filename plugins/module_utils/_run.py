# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tail every module of one AWS client shares: the client, AWS errors as failures, exit.

App Runner and CloudFront have their own ``run_module`` (their errors come wrapped by
their error handlers); this one is for modules that call boto3 directly.
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def run_module(module, service, converge, failure):
    """Exit with ``converge(client)``'s result, its ``diff`` only in diff mode.

    ``client`` is the ``service`` client with the jittered backoff (calls pass
    ``aws_retry=True``). An AWS error fails the task with ``failure`` (a message naming what
    was being done) and the AWS error. ``converge`` may end the module itself (``exit_json``,
    ``fail_json``).
    """
    client = module.client(service, retry_decorator=AWSRetry.jittered_backoff())
    try:
        result = converge(client)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=failure)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)
