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


class CloudFrontWaiterFactory(BaseWaiterFactory):
    @property
    def _waiter_model_data(self):
        return dict(
            distribution_deployed=waiter(
                "GetDistribution",
                10,
                180,
                path_acceptors("success", "Distribution.Status", "Deployed"),
                error_acceptors("failure", "NoSuchDistribution"),
                THROTTLING_ACCEPTORS,
            ),
            invalidation_completed=waiter(
                "GetInvalidation",
                10,
                180,
                path_acceptors("success", "Invalidation.Status", "Completed"),
                error_acceptors("failure", "NoSuchInvalidation"),
                THROTTLING_ACCEPTORS,
            ),
        )
