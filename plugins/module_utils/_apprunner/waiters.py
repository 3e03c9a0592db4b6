# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiters for App Runner, which botocore does not define.

Declared the amazon.aws way (``BaseWaiterFactory``): botocore waiter models whose
acceptors also retry on throttling, so a throttled poll does not end the wait.
"""

from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory

# App Runner answers throttled calls with ThrottlingException, which BaseWaiterFactory's
# list of retried errors does not contain.
_RETRY_ERRORS = ("ThrottlingException",)

# Service states in which no operation is running.
SERVICE_SETTLED_STATES = ("RUNNING", "PAUSED")
SERVICE_FAILED_STATES = ("CREATE_FAILED", "DELETE_FAILED", "DELETED")


def _retry_on_errors():
    return [dict(state="retry", matcher="error", expected=code) for code in _RETRY_ERRORS]


def _service_status(state, expected):
    return dict(state=state, matcher="path", argument="Service.Status", expected=expected)


def _domain_status(domain_name):
    # jmespath literal: single quotes inside need escaping; domain names never contain them.
    return f"CustomDomains[?DomainName=='{domain_name}'].Status | [0]"


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
        domain_status = _domain_status(self._domain_name)
        domain_records = f"CustomDomains[?DomainName=='{self._domain_name}'].CertificateValidationRecords[]"
        data = dict(
            service_settled=dict(
                operation="DescribeService",
                delay=5,
                maxAttempts=240,
                acceptors=[
                    *[_service_status("success", s) for s in SERVICE_SETTLED_STATES],
                    *[_service_status("failure", s) for s in SERVICE_FAILED_STATES],
                    _service_status("retry", "OPERATION_IN_PROGRESS"),
                    *_retry_on_errors(),
                ],
            ),
            service_deleted=dict(
                operation="DescribeService",
                delay=5,
                maxAttempts=240,
                acceptors=[
                    _service_status("success", "DELETED"),
                    dict(state="success", matcher="error", expected="ResourceNotFoundException"),
                    _service_status("failure", "DELETE_FAILED"),
                    _service_status("retry", "OPERATION_IN_PROGRESS"),
                    *_retry_on_errors(),
                ],
            ),
            custom_domain_active=dict(
                operation="DescribeCustomDomains",
                delay=5,
                maxAttempts=240,
                acceptors=[
                    # AWS documents upper-case enum values and answers in lower case.
                    *[
                        dict(state="success", matcher="path", argument=domain_status, expected=value)
                        for value in ("active", "ACTIVE")
                    ],
                    *[
                        dict(state="failure", matcher="path", argument=domain_status, expected=value)
                        for value in ("create_failed", "CREATE_FAILED", "delete_failed", "DELETE_FAILED")
                    ],
                    *_retry_on_errors(),
                ],
            ),
            custom_domain_records_ready=dict(
                operation="DescribeCustomDomains",
                delay=5,
                maxAttempts=240,
                acceptors=[
                    dict(
                        state="success",
                        matcher="path",
                        argument=f"length({domain_records}) > `0`",
                        expected=True,
                    ),
                    *_retry_on_errors(),
                ],
            ),
            custom_domain_disassociated=dict(
                operation="DescribeCustomDomains",
                delay=5,
                maxAttempts=240,
                acceptors=[
                    dict(
                        state="success",
                        matcher="path",
                        argument=f"length(CustomDomains[?DomainName=='{self._domain_name}']) == `0`",
                        expected=True,
                    ),
                    dict(state="success", matcher="error", expected="ResourceNotFoundException"),
                    *[
                        dict(state="failure", matcher="path", argument=domain_status, expected=value)
                        for value in ("delete_failed", "DELETE_FAILED")
                    ],
                    *_retry_on_errors(),
                ],
            ),
        )
        return data
