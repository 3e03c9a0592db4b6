# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiters for ACM certificate requests.

botocore's ``certificate_validated`` waiter gives up on the first throttled call and has no
waiter for "validation records are ready" (right after RequestCertificate, ACM takes a few
seconds before DescribeCertificate shows the CNAMEs to create). Both are declared here on
amazon.aws's BaseWaiterFactory, which adds retry acceptors for throttling errors.
"""

from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory
from ansible_collections.invoice.platform.plugins.module_utils._waiters import (
    error_acceptors,
    path_acceptors,
    waiter,
)

# BaseWaiterFactory retries "Throttling" and "TooManyRequestsException"; JSON services such
# as ACM answer "ThrottlingException".
THROTTLING_ACCEPTORS = error_acceptors("retry", "ThrottlingException", "ThrottledException")

_OPTIONS = "Certificate.DomainValidationOptions"
_STATUS = "Certificate.Status"


class AcmWaiterFactory(BaseWaiterFactory):
    @property
    def _waiter_model_data(self):
        return dict(
            certificate_issued=waiter(
                "DescribeCertificate",
                5,
                120,
                path_acceptors("success", _STATUS, "ISSUED"),
                path_acceptors("failure", _STATUS, "FAILED", "VALIDATION_TIMED_OUT", "REVOKED"),
                error_acceptors("failure", "ResourceNotFoundException"),
                THROTTLING_ACCEPTORS,
            ),
            validation_records_ready=waiter(
                "DescribeCertificate",
                2,
                60,
                path_acceptors(
                    "success",
                    f"length(({_OPTIONS} || `[]`)[].ResourceRecord) == length({_OPTIONS} || `[]`)"
                    f" && length({_OPTIONS} || `[]`) > `0`",
                    True,
                ),
                path_acceptors("success", _STATUS, "ISSUED"),
                path_acceptors("failure", _STATUS, "FAILED"),
                error_acceptors("failure", "ResourceNotFoundException"),
                THROTTLING_ACCEPTORS,
            ),
        )
