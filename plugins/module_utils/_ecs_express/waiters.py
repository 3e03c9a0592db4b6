# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiters for ECS Express Mode services, which botocore does not define.

A deployment is followed on the ECS service (DescribeServices): it is over when none of the
service's deployments is ``IN_PROGRESS`` (the caller then reads whether it completed or
was rolled back). A deletion is over when the Express service is ``INACTIVE`` or gone.
"""

from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory
from ansible_collections.invoice.platform.plugins.module_utils._waiters import (
    error_acceptors,
    path_acceptors,
    waiter,
)

THROTTLING_ACCEPTORS = error_acceptors("retry", "ThrottlingException")


class ECSExpressWaiterFactory(BaseWaiterFactory):
    @property
    def _waiter_model_data(self):
        return dict(
            deployment_finished=waiter(
                "DescribeServices",
                5,
                240,
                path_acceptors("success", "length(services[0].deployments[?rolloutState=='IN_PROGRESS']) == `0`", True),
                path_acceptors("failure", "services[0].status", "INACTIVE"),
                path_acceptors("failure", "length(services) == `0`", True),
                THROTTLING_ACCEPTORS,
            ),
            express_service_inactive=waiter(
                "DescribeExpressGatewayService",
                5,
                240,
                path_acceptors("success", "service.status.statusCode", "INACTIVE"),
                error_acceptors("success", "ResourceNotFoundException", "ServiceNotFoundException"),
                path_acceptors("retry", "service.status.statusCode", "DRAINING", "ACTIVE"),
                THROTTLING_ACCEPTORS,
            ),
        )
