# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The App Runner modules' error type and handler, and the check-mode placeholder ARN."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError


class AnsibleAppRunnerError(AnsibleAWSError):
    pass


class AppRunnerErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAppRunnerError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


STAND_IN_SUFFIX = ", to be created)"


def not_yet_created(kind, value):
    """Stand-in for the ARN of a resource a check-mode run of an earlier task would have created
    (or revised: a new revision has a new ARN), so that a later task plans its change to it."""
    return f"({kind} {value}{STAND_IN_SUFFIX}"


def is_not_yet_created(value):
    """Whether ``value`` is a stand-in made by not_yet_created (it resolves to itself)."""
    return isinstance(value, str) and value.startswith("(") and value.endswith(STAND_IN_SUFFIX)
