# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiters for App Runner, which botocore does not define.

Declared the amazon.aws way (``BaseWaiterFactory``): botocore waiter models whose
acceptors also retry on throttling, so a throttled poll does not end the wait.
"""

from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory
from ansible_collections.invoice.platform.plugins.module_utils._waiters import (
    error_acceptors,
    path_acceptors,
    waiter,
)

# App Runner answers throttled calls with ThrottlingException, which BaseWaiterFactory's
# list of retried errors does not contain.
THROTTLING_ACCEPTORS = error_acceptors("retry", "ThrottlingException")

# Service states in which no operation is running.
SERVICE_SETTLED_STATES = ("RUNNING", "PAUSED")
SERVICE_FAILED_STATES = ("CREATE_FAILED", "DELETE_FAILED", "DELETED")

_SERVICE_STATUS = "Service.Status"


def waiter_config(timeout):
    """Delay and attempts for a wait of at most ``timeout`` seconds.

    The poll interval grows with the timeout (1 s for a one-minute wait, 15 s at most),
    so short waits in tests stay short and long waits in AWS do not poll needlessly.
    """
    timeout = max(1, int(timeout))
    delay = max(1, min(15, timeout // 60))
    return dict(Delay=delay, MaxAttempts=max(1, timeout // delay) + 1)


class AppRunnerWaiterFactory(BaseWaiterFactory):
    """Waiters on App Runner services and custom domains.

    ``domain_name`` is needed only by the custom domain waiters (jmespath paths cannot take
    parameters, so the factory builds them for one domain).
    """

    def __init__(self, domain_name=None):
        self._domain_name = domain_name or ""
        super().__init__()

    @property
    def _waiter_model_data(self):
        # jmespath literal: single quotes inside need escaping; domain names never contain them.
        domain = f"CustomDomains[?DomainName=='{self._domain_name}']"
        domain_status = f"{domain}.Status | [0]"
        # AWS documents upper-case enum values and answers in lower case.
        domain_delete_failed = path_acceptors("failure", domain_status, "delete_failed", "DELETE_FAILED")
        return dict(
            service_settled=waiter(
                "DescribeService",
                5,
                240,
                path_acceptors("success", _SERVICE_STATUS, *SERVICE_SETTLED_STATES),
                path_acceptors("failure", _SERVICE_STATUS, *SERVICE_FAILED_STATES),
                path_acceptors("retry", _SERVICE_STATUS, "OPERATION_IN_PROGRESS"),
                THROTTLING_ACCEPTORS,
            ),
            service_deleted=waiter(
                "DescribeService",
                5,
                240,
                path_acceptors("success", _SERVICE_STATUS, "DELETED"),
                error_acceptors("success", "ResourceNotFoundException"),
                path_acceptors("failure", _SERVICE_STATUS, "DELETE_FAILED"),
                path_acceptors("retry", _SERVICE_STATUS, "OPERATION_IN_PROGRESS"),
                THROTTLING_ACCEPTORS,
            ),
            custom_domain_active=waiter(
                "DescribeCustomDomains",
                5,
                240,
                path_acceptors("success", domain_status, "active", "ACTIVE"),
                path_acceptors("failure", domain_status, "create_failed", "CREATE_FAILED"),
                domain_delete_failed,
                THROTTLING_ACCEPTORS,
            ),
            custom_domain_records_ready=waiter(
                "DescribeCustomDomains",
                5,
                240,
                path_acceptors("success", f"length({domain}.CertificateValidationRecords[]) > `0`", True),
                THROTTLING_ACCEPTORS,
            ),
            custom_domain_disassociated=waiter(
                "DescribeCustomDomains",
                5,
                240,
                path_acceptors("success", f"length({domain}) == `0`", True),
                error_acceptors("success", "ResourceNotFoundException"),
                domain_delete_failed,
                THROTTLING_ACCEPTORS,
            ),
        )
