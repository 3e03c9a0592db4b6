# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudFront waiters that survive throttling.

botocore has ``distribution_deployed`` and ``invalidation_completed`` but its waiters stop at
the first throttled call; these are the same waiters on amazon.aws's BaseWaiterFactory, which
adds retry acceptors for throttling errors.
"""

from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory
from ansible_collections.invoice.platform.plugins.module_utils._waiters import (
    error_acceptors,
    path_acceptors,
    waiter,
)

THROTTLING_ACCEPTORS = error_acceptors("retry", "ThrottlingException", "Throttling")


def _status_waiter(operation, status_path, done, missing_error):
    """Poll ``operation`` every 10 s (30 minutes at most) until ``status_path`` is ``done``."""
    return waiter(
        operation,
        10,
        180,
        path_acceptors("success", status_path, done),
        error_acceptors("failure", missing_error),
        THROTTLING_ACCEPTORS,
    )


class CloudFrontWaiterFactory(BaseWaiterFactory):
    @property
    def _waiter_model_data(self):
        return dict(
            distribution_deployed=_status_waiter(
                "GetDistribution", "Distribution.Status", "Deployed", "NoSuchDistribution"
            ),
            invalidation_completed=_status_waiter(
                "GetInvalidation", "Invalidation.Status", "Completed", "NoSuchInvalidation"
            ),
        )
