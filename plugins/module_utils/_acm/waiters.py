# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiters for ACM certificate requests.

botocore's ``certificate_validated`` waiter gives up on the first throttled call and has no
waiter for "validation records are ready" (right after RequestCertificate, ACM takes a few
seconds before DescribeCertificate shows the CNAMEs to create). Both are declared here on
amazon.aws's BaseWaiterFactory, which adds retry acceptors for throttling errors.
"""

from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory

# BaseWaiterFactory retries "Throttling" and "TooManyRequestsException"; JSON services such
# as ACM answer "ThrottlingException".
THROTTLING_ACCEPTORS = [
    dict(state="retry", matcher="error", expected="ThrottlingException"),
    dict(state="retry", matcher="error", expected="ThrottledException"),
]

_OPTIONS = "Certificate.DomainValidationOptions"


class AcmWaiterFactory(BaseWaiterFactory):
    @property
    def _waiter_model_data(self):
        return dict(
            certificate_issued=dict(
                operation="DescribeCertificate",
                delay=5,
                maxAttempts=120,
                acceptors=[
                    dict(state="success", matcher="path", argument="Certificate.Status", expected="ISSUED"),
                    dict(state="failure", matcher="path", argument="Certificate.Status", expected="FAILED"),
                    dict(
                        state="failure", matcher="path", argument="Certificate.Status", expected="VALIDATION_TIMED_OUT"
                    ),
                    dict(state="failure", matcher="path", argument="Certificate.Status", expected="REVOKED"),
                    dict(state="failure", matcher="error", expected="ResourceNotFoundException"),
                    *THROTTLING_ACCEPTORS,
                ],
            ),
            validation_records_ready=dict(
                operation="DescribeCertificate",
                delay=2,
                maxAttempts=60,
                acceptors=[
                    dict(
                        state="success",
                        matcher="path",
                        argument=f"length(({_OPTIONS} || `[]`)[].ResourceRecord) == length({_OPTIONS} || `[]`)"
                        f" && length({_OPTIONS} || `[]`) > `0`",
                        expected=True,
                    ),
                    dict(state="success", matcher="path", argument="Certificate.Status", expected="ISSUED"),
                    dict(state="failure", matcher="path", argument="Certificate.Status", expected="FAILED"),
                    dict(state="failure", matcher="error", expected="ResourceNotFoundException"),
                    *THROTTLING_ACCEPTORS,
                ],
            ),
        )
