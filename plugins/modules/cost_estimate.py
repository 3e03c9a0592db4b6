#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cost_estimate
short_description: The monthly AWS cost of an inventory, from its settings and a dated price table
version_added: 0.3.0
description:
  - Prices what the inventory would create, before anything exists and without any AWS call
    (App Runner provisioned and active hours, the Fargate worker, RDS instance hours with
    Multi-AZ doubling, storage and backup storage beyond the free allowance, NAT gateway hours,
    their public IPv4 addresses and data, S3, AWS Backup, CloudFront, Route 53, ACM, Secrets
    Manager, SSM, KMS, CloudWatch alarms, metrics and logs, ECR).
  - Prices come from O(prices_file), a table of list prices per region copied by hand from the
    AWS pricing pages (each with its source page and the date it was read); they are not fetched.
  - Fails, naming the variable, when a setting is missing, negative, a share above 1, or when the
    region or the database instance class has no price in the table.
  - The service tier is priced for its C(service_backend) in O(settings) - C(apprunner)
    (provisioned and active instance hours) or C(ecs_express) (Fargate task hours, the load
    balancer's hours, LCUs and public IPv4 addresses, the deployment alarms); O(compare_backends)
    prices it on both.
  - Reads only; in check mode it returns the same estimate.
author:
  - Invoice platform team (@invoice-platform)
options:
  prices_file:
    description: The price table (YAML), for example C(roles/cost/files/aws_prices.yml).
    type: path
    required: true
  settings:
    description:
      - The inventory's variables by name, the tiers' settings (C(service_cpu), C(service_memory),
        C(service_min_size), C(worker_cpu), C(database_instance_class), C(database_multi_az),
        C(network_nat_gateway), ...) and the C(cost_*) assumptions of the cost role (see
        C(roles/cost/meta/argument_specs.yml) for every name).
    type: dict
    required: true
  defaults:
    description:
      - Values for the tier settings the inventory leaves unset (the cost role passes the tier
        roles' own C(defaults/main.yml)); O(settings) wins.
    type: dict
    default: {}
  compare_backends:
    description:
      - Also price the same settings on every service backend (C(apprunner), C(ecs_express)) and
        return them as RV(comparison) and RV(comparison_table).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Estimate the monthly cost of the inventory
  invoice.platform.cost_estimate:
    prices_file: "{{ role_path }}/files/aws_prices.yml"
    settings:
      platform_env: "{{ platform_env }}"
      platform_region: "{{ platform_region }}"
      service_cpu: "{{ service_cpu }}"
      # ... every variable the cost role passes
  register: estimate
"""

RETURN = r"""
estimate:
  description: The estimate.
  returned: success
  type: dict
  contains:
    environment:
      description: C(platform_env).
      type: str
    service_backend:
      description: The service tier's backend these lines price.
      type: str
      sample: apprunner
    region:
      description: C(platform_region), whose prices were used.
      type: str
    currency:
      description: Currency of every amount.
      type: str
      sample: USD
    prices_as_of:
      description: The date the price table was last read by hand.
      type: str
      sample: "2026-12-02"
    always_free_applied:
      description: Whether the always-free monthly allowances were subtracted.
      type: bool
    lines:
      description: One entry per billed item.
      type: list
      elements: dict
      sample:
        - line: RDS db.t3.small (Multi-AZ, 2 instances)
          price_key: rds_instance
          quantity: 1460
          free: 0
          unit: instance-hour
          unit_price: 0.036
          monthly: 52.56
          source: https://aws.amazon.com/rds/postgresql/pricing/
    total:
      description: The monthly total, rounded to cents.
      type: float
      sample: 171.32
table:
  description: The estimate as text lines (line, quantity, unit price, monthly; the total).
  returned: success
  type: list
  elements: str
comparison:
  description: The estimate on each backend (the same form as RV(estimate)), apprunner first.
  returned: when O(compare_backends)
  type: list
  elements: dict
comparison_table:
  description: RV(comparison) side by side, one column per backend (monthly USD).
  returned: when O(compare_backends)
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.invoice.platform.plugins.module_utils.cost import (
    CostInputError,
    estimate,
    estimate_backends,
    render_side_by_side,
    render_table,
)

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core depends on PyYAML
    yaml = None


def load_prices(module):
    path = module.params["prices_file"]
    try:
        with open(path, encoding="utf-8") as handle:
            prices = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as err:
        module.fail_json(msg=f"prices_file {path}: {err}")
    if not isinstance(prices, dict) or not isinstance(prices.get("regions"), dict):
        module.fail_json(msg=f"prices_file {path} has no 'regions' mapping")
    return prices


def main():
    module = AnsibleModule(
        argument_spec=dict(
            prices_file=dict(type="path", required=True),
            settings=dict(type="dict", required=True),
            defaults=dict(type="dict", default={}),
            compare_backends=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    prices = load_prices(module)
    extra = {}
    try:
        result = estimate(module.params["settings"], prices, module.params["defaults"])
        if module.params["compare_backends"]:
            comparison = estimate_backends(module.params["settings"], prices, module.params["defaults"])
            extra = dict(comparison=comparison, comparison_table=render_side_by_side(comparison))
    except CostInputError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, estimate=result, table=render_table(result), **extra)


if __name__ == "__main__":
    main()
