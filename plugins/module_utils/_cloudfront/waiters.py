# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudFront waiters that survive throttling.

botocore has ``distribution_deployed`` and ``invalidation_completed`` but its waiters stop at
the first throttled call; these are the same waiters on amazon.aws's BaseWaiterFactory, which
adds retry acceptors for throttling errors.
"""

from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory

THROTTLING_ACCEPTORS = [
    dict(state="retry", matcher="error", expected="ThrottlingException"),
    dict(state="retry", matcher="error", expected="Throttling"),
]


class CloudFrontWaiterFactory(BaseWaiterFactory):
    @property
    def _waiter_model_data(self):
        return dict(
            distribution_deployed=dict(
                operation="GetDistribution",
                delay=10,
                maxAttempts=180,
                acceptors=[
                    dict(state="success", matcher="path", argument="Distribution.Status", expected="Deployed"),
                    dict(state="failure", matcher="error", expected="NoSuchDistribution"),
                    *THROTTLING_ACCEPTORS,
                ],
            ),
            invalidation_completed=dict(
                operation="GetInvalidation",
                delay=10,
                maxAttempts=180,
                acceptors=[
                    dict(state="success", matcher="path", argument="Invalidation.Status", expected="Completed"),
                    dict(state="failure", matcher="error", expected="NoSuchInvalidation"),
                    *THROTTLING_ACCEPTORS,
                ],
            ),
        )
