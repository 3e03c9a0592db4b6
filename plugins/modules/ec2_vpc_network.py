#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ec2_vpc_network
short_description: One VPC layout (subnets, internet gateway, NAT gateways, route tables, security groups) in one task
version_added: 0.2.0
description:
  - Converges a whole VPC layout in one task - the VPC and its DNS attributes, subnets, an
    internet gateway with a public route table, NAT gateways with one private route table per
    availability zone, and security groups with their rules.
  - What this fixes over the amazon.aws EC2 modules (M(amazon.aws.ec2_vpc_net),
    M(amazon.aws.ec2_vpc_subnet), M(amazon.aws.ec2_vpc_igw), M(amazon.aws.ec2_vpc_route_table),
    M(amazon.aws.ec2_vpc_nat_gateway), M(amazon.aws.ec2_security_group)) - a no-op run makes a
    fixed number of reads (C(DescribeVpcs), two C(DescribeVpcAttribute), C(DescribeSubnets),
    C(DescribeInternetGateways), C(DescribeRouteTables), C(DescribeNatGateways),
    C(DescribeSecurityGroups)) however many subnets, tables and groups there are, instead of
    several reads per resource; tags are compared from the C(Describe*) responses and
    C(DescribeTags) is never called. NAT gateway tags are compared and corrected like all
    others (the amazon.aws modules look them up with C(DescribeTags), which some endpoints do
    not answer for NAT gateways).
  - Resources are found by their C(Name) tag (subnets by CIDR block, security groups by group
    name) inside the VPC, which is found by its C(Name) tag and CIDR block.
  - Check mode makes no mutating call; on an empty account it reports the layout that would be
    created. Diff mode shows the VPC, every subnet, route table, NAT gateway and security group
    (rules as text) before and after.
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description: Value of the C(Name) tag of the VPC.
    type: str
    required: true
  cidr_block:
    description: Primary IPv4 CIDR block of the VPC.
    type: str
    required: true
  resource_prefix:
    description:
      - Prefix of the C(Name) tags of the internet gateway (C(<prefix>-igw)), the public route
        table (C(<prefix>-public)), the private route tables (C(<prefix>-private-<az>)) and the
        NAT gateways (C(<prefix>-nat-<az>)).
      - Defaults to O(name) without a trailing C(-vpc).
    type: str
  dns_support:
    description: Whether the VPC resolves DNS names.
    type: bool
    default: true
  dns_hostnames:
    description: Whether instances in the VPC get DNS host names.
    type: bool
    default: true
  subnets:
    description:
      - Subnets of the VPC, found by CIDR block. Each gets the tags O(tags) plus C(Name) and
        C(Tier). Subnets of the VPC that are not listed are left alone.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Value of the C(Name) tag.
        type: str
        required: true
      cidr:
        description: CIDR block, inside O(cidr_block).
        type: str
        required: true
      az:
        description: Availability zone.
        type: str
        required: true
      tier:
        description:
          - V(public) subnets route through the internet gateway and hold the NAT gateways.
          - V(private) subnets route through a NAT gateway.
        type: str
        required: true
        choices: [public, private]
  internet_gateway:
    description:
      - Attach an internet gateway and route the public subnets' 0.0.0.0/0 through it
        (route table C(<prefix>-public)). V(false) leaves an existing gateway alone.
    type: bool
    default: true
  nat_gateway:
    description:
      - V(single) - one NAT gateway (with a new Elastic IP) in the first public subnet.
        V(per_az) - one in the first public subnet of every availability zone that has private subnets.
        V(none) - no NAT gateway; the private route tables have no default route.
      - NAT gateways no longer wanted are deleted after the routes moved away from them, and
        their Elastic IPs released.
      - Every availability zone with private subnets gets the route table C(<prefix>-private-<az>).
    type: str
    choices: [none, single, per_az]
    default: none
  security_groups:
    description: Security groups of the VPC, found by group name. Groups that are not listed are left alone.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Group name (also its C(Name) tag).
        type: str
        required: true
      description:
        description: Description. It cannot change once the group exists (a warning says so).
        type: str
        required: true
      ingress:
        description: The inbound rules; rules not listed are removed.
        type: list
        elements: dict
        default: []
        suboptions: &rule
          protocol:
            description: V(tcp), V(udp), V(icmp) or V(-1) (all).
            type: str
            required: true
          ports:
            description: Ports or ranges (V(5432), V(8000-8100)); not for V(-1).
            type: list
            elements: str
            default: []
          source_group:
            description:
              - Name of another group in O(security_groups).
              - Give exactly one of O(security_groups[].ingress[].source_group) and O(security_groups[].ingress[].cidr).
            type: str
          cidr:
            description: IPv4 CIDR block.
            type: str
          description:
            description: Rule description.
            type: str
      egress:
        description:
          - The outbound rules; rules not listed are removed. V([]) removes every outbound rule.
          - Omitted - the outbound rules are not managed (a new group keeps the default allow-all rule).
        type: list
        elements: dict
        suboptions: *rule
  wait:
    description:
      - Wait until new NAT gateways are available before routes point at them.
      - Deleting a NAT gateway always waits until it is deleted, because its Elastic IP can only be released then.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for NAT gateways to become available or deleted.
    type: int
    default: 600
  state:
    description:
      - V(present) creates or updates the layout.
      - V(absent) deletes the VPC found by O(name) and O(cidr_block) and everything in it, in reverse
        dependency order - NAT gateways (waiting for them, then releasing their Elastic IPs), the
        rules and then the non-default security groups, the non-main route tables, the internet
        gateway, the subnets, the VPC. Only O(name) and O(cidr_block) matter then.
    type: str
    choices: [present, absent]
    default: present
notes:
  - With O(state=present), subnets, route tables and security groups that are not listed are left alone.
  - IPv6, VPC endpoints, network ACLs and C(MapPublicIpOnLaunch) are not managed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the network exists
  invoice.platform.ec2_vpc_network:
    name: shop-prod-vpc
    cidr_block: 10.20.0.0/16
    subnets:
      - {name: shop-prod-public-us-east-1a, cidr: 10.20.0.0/24, az: us-east-1a, tier: public}
      - {name: shop-prod-private-us-east-1a, cidr: 10.20.10.0/24, az: us-east-1a, tier: private}
    nat_gateway: single
    security_groups:
      - name: shop-prod-app
        description: Application
      - name: shop-prod-database
        description: Database, reachable from the application only
        ingress:
          - {protocol: tcp, ports: [5432], source_group: shop-prod-app, description: PostgreSQL}
        egress: []
    tags:
      Project: shop
  register: network
"""

RETURN = r"""
vpc:
  description: The VPC (empty id when check mode would create it).
  returned: always
  type: dict
  contains:
    id:
      description: VPC id.
      type: str
    cidr_block:
      description: CIDR block.
      type: str
  sample: {"id": "vpc-0abc", "cidr_block": "10.20.0.0/16"}
subnets:
  description: The subnets of O(subnets), in order (empty id when check mode would create one).
  returned: always
  type: list
  elements: dict
  sample:
    - name: shop-prod-public-us-east-1a
      id: subnet-0abc
      cidr: 10.20.0.0/24
      az: us-east-1a
      tier: public
route_tables:
  description: The managed route tables, as C(name), C(id) and C(subnet_ids).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "shop-prod-public", "id": "rtb-0abc", "subnet_ids": ["subnet-0abc"]}]
internet_gateway_id:
  description: Id of the attached internet gateway (empty when none or not created yet).
  returned: always
  type: str
  sample: igw-0abc
nat_gateways:
  description: The wanted NAT gateways, as C(id), C(subnet_id), C(az) and C(public_ip).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "nat-0abc", "subnet_id": "subnet-0abc", "az": "us-east-1a", "public_ip": "198.51.100.7"}]
security_groups:
  description: Group name to group id (empty id when check mode would create the group).
  returned: always
  type: dict
  sample: {"shop-prod-app": "sg-0abc"}
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError, WaiterError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)
from ansible_collections.invoice.platform.plugins.module_utils._ec2.network_options import validate
from ansible_collections.invoice.platform.plugins.module_utils._ec2.network_plans import (
    ANYWHERE,
    current_rules,
    nat_plan,
    rule_text,
    table_plan,
    table_routes,
    to_permission,
    wanted_rules,
)
from ansible_collections.invoice.platform.plugins.module_utils._options import dict_list, tag_options, wait_options
from ansible_collections.invoice.platform.plugins.module_utils._tags import tag_plan


class Network:
    """Reads the layout once, then converges it piece by piece (each ensure_* returns changed)."""

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.check = module.check_mode
        self.purge_tags = module.params["purge_tags"]
        self.base_tags = dict(module.params["tags"] or {})
        prefix = module.params["resource_prefix"]
        if prefix is None:
            prefix = module.params["name"][:-4] if module.params["name"].endswith("-vpc") else module.params["name"]
        self.prefix = prefix
        self.vpc = None
        self.subnets = {}  # cidr -> subnet
        self.igw = None
        self.tables = []
        self.nats = []
        self.groups = {}  # name -> group

    # --- helpers ------------------------------------------------------------------------
    def call(self, what, method, **kwargs):
        try:
            return getattr(self.client, method)(aws_retry=True, **kwargs)
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg=f"Failed to {what}")

    def tags_for(self, name, extra=None):
        return {**self.base_tags, **(extra or {}), "Name": name}

    def ensure_tags(self, resource_id, current_list, wanted):
        current = boto3_tag_list_to_ansible_dict(current_list or [])
        to_set, to_unset = compare_aws_tags(current, wanted, self.purge_tags)
        if not (to_set or to_unset):
            return False
        if self.check or not resource_id:
            return True
        if to_unset:
            self.call(
                f"remove tags from {resource_id}",
                "delete_tags",
                Resources=[resource_id],
                Tags=[{"Key": k} for k in to_unset],
            )
        if to_set:
            self.call(
                f"tag {resource_id}",
                "create_tags",
                Resources=[resource_id],
                Tags=ansible_dict_to_boto3_tag_list(to_set),
            )
        return True

    def after_tags(self, current_list, wanted):
        current = boto3_tag_list_to_ansible_dict(current_list or [])
        return tag_plan(current, wanted, self.purge_tags)[2]

    @staticmethod
    def spec(resource_type, tags):
        return [{"ResourceType": resource_type, "Tags": ansible_dict_to_boto3_tag_list(tags)}]

    @staticmethod
    def name_of(resource):
        return boto3_tag_list_to_ansible_dict(resource.get("Tags") or []).get("Name")

    # --- reads --------------------------------------------------------------------------
    def read(self):
        vpcs = self.call(
            "describe VPCs",
            "describe_vpcs",
            Filters=[
                {"Name": "tag:Name", "Values": [self.params["name"]]},
                {"Name": "cidr-block", "Values": [self.params["cidr_block"]]},
            ],
        )["Vpcs"]
        if len(vpcs) > 1:
            ids = ", ".join(v["VpcId"] for v in vpcs)
            self.module.fail_json(
                msg=f"name: more than one VPC is tagged Name={self.params['name']} with this CIDR ({ids})"
            )
        if not vpcs:
            return
        self.vpc = vpcs[0]
        vpc_id = self.vpc["VpcId"]
        for attr, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
            answer = self.call("describe VPC attribute", "describe_vpc_attribute", VpcId=vpc_id, Attribute=attr)
            self.vpc[attr] = answer[key]["Value"]
        by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        self.subnets = {
            s["CidrBlock"]: s for s in self.call("describe subnets", "describe_subnets", Filters=by_vpc)["Subnets"]
        }
        igws = self.call(
            "describe internet gateways",
            "describe_internet_gateways",
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}],
        )["InternetGateways"]
        self.igw = igws[0] if igws else None
        self.tables = self.call("describe route tables", "describe_route_tables", Filters=by_vpc)["RouteTables"]
        self.nats = self.call(
            "describe NAT gateways",
            "describe_nat_gateways",
            Filter=[*by_vpc, {"Name": "state", "Values": ["pending", "available"]}],
        )["NatGateways"]
        groups = self.call("describe security groups", "describe_security_groups", Filters=by_vpc)["SecurityGroups"]
        self.groups = {g["GroupName"]: g for g in groups}

    # --- VPC ----------------------------------------------------------------------------
    def ensure_vpc(self, diff):
        wanted_tags = self.tags_for(self.params["name"])
        wanted = {
            "cidr_block": self.params["cidr_block"],
            "dns_support": self.params["dns_support"],
            "dns_hostnames": self.params["dns_hostnames"],
        }
        if self.vpc is None:
            diff["before"]["vpc"] = {}
            diff["after"]["vpc"] = {**wanted, "tags": wanted_tags}
            if self.check:
                return True
            self.vpc = self.call(
                "create VPC",
                "create_vpc",
                CidrBlock=self.params["cidr_block"],
                TagSpecifications=self.spec("vpc", wanted_tags),
            )["Vpc"]
            try:
                self.client.get_waiter("vpc_available").wait(VpcIds=[self.vpc["VpcId"]])
            except WaiterError as e:
                self.module.fail_json_aws(e, msg="VPC did not become available")
            self.vpc["Tags"] = ansible_dict_to_boto3_tag_list(wanted_tags)
            self.vpc["enableDnsSupport"] = True
            self.vpc["enableDnsHostnames"] = False
            self.ensure_vpc_attributes()
            return True
        current = {
            "cidr_block": self.vpc["CidrBlock"],
            "dns_support": self.vpc["enableDnsSupport"],
            "dns_hostnames": self.vpc["enableDnsHostnames"],
            "tags": boto3_tag_list_to_ansible_dict(self.vpc.get("Tags") or []),
        }
        diff["before"]["vpc"] = current
        diff["after"]["vpc"] = {**wanted, "tags": self.after_tags(self.vpc.get("Tags"), wanted_tags)}
        changed = self.ensure_vpc_attributes()
        changed |= self.ensure_tags(self.vpc["VpcId"], self.vpc.get("Tags"), wanted_tags)
        return changed

    def ensure_vpc_attributes(self):
        changed = False
        for option, attr in (("dns_support", "enableDnsSupport"), ("dns_hostnames", "enableDnsHostnames")):
            if self.vpc[attr] == self.params[option]:
                continue
            changed = True
            if not self.check:
                kwargs = {attr[0].upper() + attr[1:]: {"Value": self.params[option]}}
                self.call("modify VPC attribute", "modify_vpc_attribute", VpcId=self.vpc["VpcId"], **kwargs)
                self.vpc[attr] = self.params[option]
        return changed

    # --- subnets ------------------------------------------------------------------------
    def ensure_subnets(self, diff):
        changed = False
        before, after = {}, {}
        vpc_id = self.vpc["VpcId"] if self.vpc else None
        for item in self.params["subnets"]:
            wanted_tags = self.tags_for(item["name"], {"Tier": item["tier"]})
            current = self.subnets.get(item["cidr"])
            after[item["name"]] = {"cidr": item["cidr"], "az": item["az"]}
            if current is None:
                after[item["name"]]["tags"] = wanted_tags
                changed = True
                if not self.check:
                    self.subnets[item["cidr"]] = self.call(
                        f"create subnet {item['name']}",
                        "create_subnet",
                        VpcId=vpc_id,
                        CidrBlock=item["cidr"],
                        AvailabilityZone=item["az"],
                        TagSpecifications=self.spec("subnet", wanted_tags),
                    )["Subnet"]
                    self.subnets[item["cidr"]]["Tags"] = ansible_dict_to_boto3_tag_list(wanted_tags)
                continue
            if current["AvailabilityZone"] != item["az"]:
                self.module.fail_json(
                    msg=f"subnets: {item['name']} ({item['cidr']}) exists in {current['AvailabilityZone']}, "
                    f"not {item['az']}; a subnet cannot move to another availability zone"
                )
            before[item["name"]] = {
                "cidr": item["cidr"],
                "az": current["AvailabilityZone"],
                "tags": boto3_tag_list_to_ansible_dict(current.get("Tags") or []),
            }
            after[item["name"]]["tags"] = self.after_tags(current.get("Tags"), wanted_tags)
            changed |= self.ensure_tags(current["SubnetId"], current.get("Tags"), wanted_tags)
        diff["before"]["subnets"], diff["after"]["subnets"] = before, after
        return changed

    def subnet_id(self, item):
        return (self.subnets.get(item["cidr"]) or {}).get("SubnetId", "")

    # --- internet gateway ---------------------------------------------------------------
    def ensure_igw(self, diff):
        if not self.params["internet_gateway"]:
            return False
        wanted_tags = self.tags_for(f"{self.prefix}-igw")
        if self.igw is None:
            diff["before"]["internet_gateway"] = {}
            diff["after"]["internet_gateway"] = {"attached": True, "tags": wanted_tags}
            if not self.check:
                self.igw = self.call(
                    "create internet gateway",
                    "create_internet_gateway",
                    TagSpecifications=self.spec("internet-gateway", wanted_tags),
                )["InternetGateway"]
                self.call(
                    "attach internet gateway",
                    "attach_internet_gateway",
                    InternetGatewayId=self.igw["InternetGatewayId"],
                    VpcId=self.vpc["VpcId"],
                )
            return True
        diff["before"]["internet_gateway"] = {
            "attached": True,
            "tags": boto3_tag_list_to_ansible_dict(self.igw.get("Tags") or []),
        }
        diff["after"]["internet_gateway"] = {
            "attached": True,
            "tags": self.after_tags(self.igw.get("Tags"), wanted_tags),
        }
        return self.ensure_tags(self.igw["InternetGatewayId"], self.igw.get("Tags"), wanted_tags)

    # --- NAT gateways -------------------------------------------------------------------
    def ensure_nats(self, diff):
        changed = False
        before, after = {}, {}
        self.nat_by_az = {}
        for az, subnet in nat_plan(self.params):
            name = f"{self.prefix}-nat-{az}"
            wanted_tags = self.tags_for(name)
            subnet_id = self.subnet_id(subnet)
            current = next((n for n in self.nats if subnet_id and n["SubnetId"] == subnet_id), None)
            after[name] = {"subnet": subnet["name"]}
            if current is None:
                after[name]["tags"] = wanted_tags
                changed = True
                if not self.check:
                    eip = self.call(
                        "allocate an Elastic IP",
                        "allocate_address",
                        Domain="vpc",
                        TagSpecifications=self.spec("elastic-ip", wanted_tags),
                    )
                    current = self.call(
                        f"create NAT gateway {name}",
                        "create_nat_gateway",
                        SubnetId=subnet_id,
                        AllocationId=eip["AllocationId"],
                        TagSpecifications=self.spec("natgateway", wanted_tags),
                    )["NatGateway"]
                    current["Tags"] = ansible_dict_to_boto3_tag_list(wanted_tags)
                    current.setdefault("NatGatewayAddresses", [{"PublicIp": eip.get("PublicIp")}])
                    self.nats.append(current)
                    self.created_nats.append(current["NatGatewayId"])
            else:
                before[name] = {
                    "subnet": subnet["name"],
                    "tags": boto3_tag_list_to_ansible_dict(current.get("Tags") or []),
                }
                after[name]["tags"] = self.after_tags(current.get("Tags"), wanted_tags)
                changed |= self.ensure_tags(current["NatGatewayId"], current.get("Tags"), wanted_tags)
            self.nat_by_az[az] = current
        wanted_ids = {n["NatGatewayId"] for n in self.nat_by_az.values() if n}
        self.unwanted_nats = [n for n in self.nats if n["NatGatewayId"] not in wanted_ids]
        for nat in self.unwanted_nats:
            before[self.name_of(nat) or nat["NatGatewayId"]] = {
                "subnet": nat["SubnetId"],
                "tags": boto3_tag_list_to_ansible_dict(nat.get("Tags") or []),
            }
        diff["before"]["nat_gateways"], diff["after"]["nat_gateways"] = before, after
        if self.created_nats and self.params["wait"] and not self.check:
            self.wait_nats("nat_gateway_available", self.created_nats)
        return changed or bool(self.unwanted_nats)

    def wait_nats(self, waiter, ids):
        delay = 5
        try:
            self.client.get_waiter(waiter).wait(
                NatGatewayIds=ids,
                WaiterConfig={"Delay": delay, "MaxAttempts": max(1, self.params["wait_timeout"] // delay)},
            )
        except WaiterError as e:
            self.module.fail_json_aws(e, msg=f"Timed out waiting for NAT gateways {', '.join(ids)} ({waiter})")

    def delete_unwanted_nats(self):
        if not self.unwanted_nats or self.check:
            return
        ids = [n["NatGatewayId"] for n in self.unwanted_nats]
        for nat_id in ids:
            self.call(f"delete NAT gateway {nat_id}", "delete_nat_gateway", NatGatewayId=nat_id)
        self.wait_nats("nat_gateway_deleted", ids)
        for nat in self.unwanted_nats:
            for address in nat.get("NatGatewayAddresses") or []:
                if address.get("AllocationId"):
                    self.call("release Elastic IP", "release_address", AllocationId=address["AllocationId"])

    # --- route tables -------------------------------------------------------------------
    def ensure_route_tables(self, diff):
        changed = False
        before, after = {}, {}
        self.table_results = []
        by_name = {}
        for table in self.tables:
            name = self.name_of(table)
            if name and not any(a.get("Main") for a in table.get("Associations", [])):
                by_name.setdefault(name, table)
        names_of = {self.subnet_id(s): s["name"] for s in self.params["subnets"] if self.subnet_id(s)}
        igw_id = (self.igw or {}).get("InternetGatewayId", "")
        for name, (routes, subnets) in table_plan(self.params, self.prefix, igw_id, self.nat_by_az).items():
            wanted_tags = self.tags_for(name)
            table = by_name.get(name)
            after[name] = {
                "routes": {d: t for d, (k, t) in routes.items()},
                "subnets": sorted(s["name"] for s in subnets),
            }
            if table is None:
                after[name]["tags"] = wanted_tags
                changed = True
                if self.check:
                    self.table_results.append(
                        {"name": name, "id": "", "subnet_ids": [self.subnet_id(s) for s in subnets]}
                    )
                    continue
                table = self.call(
                    f"create route table {name}",
                    "create_route_table",
                    VpcId=self.vpc["VpcId"],
                    TagSpecifications=self.spec("route-table", wanted_tags),
                )["RouteTable"]
                table["Tags"] = ansible_dict_to_boto3_tag_list(wanted_tags)
                table["Routes"], table["Associations"] = [], []
            else:
                current_routes = table_routes(table)
                before[name] = {
                    "routes": {d: t for d, (k, t) in current_routes.items()},
                    "subnets": sorted(
                        names_of.get(a["SubnetId"], a["SubnetId"])
                        for a in table.get("Associations", [])
                        if a.get("SubnetId")
                    ),
                    "tags": boto3_tag_list_to_ansible_dict(table.get("Tags") or []),
                }
                after[name]["tags"] = self.after_tags(table.get("Tags"), wanted_tags)
                changed |= self.ensure_tags(table["RouteTableId"], table.get("Tags"), wanted_tags)
            changed |= self.ensure_routes(table, routes)
            changed |= self.ensure_associations(table, subnets)
            self.table_results.append(
                {"name": name, "id": table["RouteTableId"], "subnet_ids": [self.subnet_id(s) for s in subnets]}
            )
        diff["before"]["route_tables"], diff["after"]["route_tables"] = before, after
        return changed

    def ensure_routes(self, table, wanted):
        current = table_routes(table)
        if current == wanted:
            return False
        if self.check:
            return True
        table_id = table["RouteTableId"]
        for dest in current:
            if dest not in wanted:
                self.call(f"delete route {dest}", "delete_route", RouteTableId=table_id, DestinationCidrBlock=dest)
        for dest, (kind, target) in wanted.items():
            if dest not in current:
                self.call(
                    f"create route {dest}",
                    "create_route",
                    RouteTableId=table_id,
                    DestinationCidrBlock=dest,
                    **{kind: target},
                )
            elif current[dest] != (kind, target):
                self.call(
                    f"replace route {dest}",
                    "replace_route",
                    RouteTableId=table_id,
                    DestinationCidrBlock=dest,
                    **{kind: target},
                )
        return True

    def ensure_associations(self, table, subnets):
        wanted = {self.subnet_id(s) for s in subnets}
        current = {a["SubnetId"]: a for a in table.get("Associations", []) if a.get("SubnetId")}
        if set(current) == wanted:
            return False
        if self.check:
            return True
        table_id = table["RouteTableId"]
        elsewhere = {
            a["SubnetId"]: a["RouteTableAssociationId"]
            for t in self.tables
            if t["RouteTableId"] != table_id
            for a in t.get("Associations", [])
            if a.get("SubnetId")
        }
        for subnet_id, association in current.items():
            if subnet_id not in wanted:
                self.call(
                    "disassociate route table",
                    "disassociate_route_table",
                    AssociationId=association["RouteTableAssociationId"],
                )
        for subnet_id in wanted - set(current):
            if subnet_id in elsewhere:
                self.call(
                    "move subnet to route table",
                    "replace_route_table_association",
                    AssociationId=elsewhere[subnet_id],
                    RouteTableId=table_id,
                )
            else:
                self.call("associate route table", "associate_route_table", RouteTableId=table_id, SubnetId=subnet_id)
        return True

    # --- security groups ----------------------------------------------------------------
    def group_id(self, name):
        return (self.groups.get(name) or {}).get("GroupId", "")

    def ensure_groups(self, diff):
        changed = False
        before, after = {}, {}
        for item in self.params["security_groups"]:
            name = item["name"]
            wanted_tags = self.tags_for(name)
            group = self.groups.get(name)
            if group is None:
                changed = True
                after[name] = {"description": item["description"], "tags": wanted_tags}
                if self.check:
                    continue
                group_id = self.call(
                    f"create security group {name}",
                    "create_security_group",
                    GroupName=name,
                    Description=item["description"],
                    VpcId=self.vpc["VpcId"],
                    TagSpecifications=self.spec("security-group", wanted_tags),
                )["GroupId"]
                egress = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": ANYWHERE}]}]
                self.groups[name] = {
                    "GroupId": group_id,
                    "GroupName": name,
                    "Description": item["description"],
                    "IpPermissions": [],
                    "IpPermissionsEgress": egress,
                    "Tags": ansible_dict_to_boto3_tag_list(wanted_tags),
                }
            else:
                if group["Description"] != item["description"]:
                    self.module.warn(f"security_groups: {name} keeps its description; a description cannot change")
                before[name] = {
                    "description": group["Description"],
                    "tags": boto3_tag_list_to_ansible_dict(group.get("Tags") or []),
                }
                after[name] = {
                    "description": group["Description"],
                    "tags": self.after_tags(group.get("Tags"), wanted_tags),
                }
                changed |= self.ensure_tags(group["GroupId"], group.get("Tags"), wanted_tags)
        # Rules after every group exists, so source_group names resolve to ids.
        changed |= self.ensure_rules(before, after)
        diff["before"]["security_groups"], diff["after"]["security_groups"] = before, after
        return changed

    def ensure_rules(self, before, after):
        changed = False
        for item in self.params["security_groups"]:
            name = item["name"]
            group = self.groups.get(name) or {}
            for key, perms_key, rules in (
                ("ingress", "IpPermissions", item["ingress"]),
                ("egress", "IpPermissionsEgress", item["egress"]),
            ):
                current = current_rules(group.get(perms_key)) if group else set()
                if not group and key == "egress":
                    current = {("-1", None, None, ANYWHERE, None)}
                if rules is None:
                    continue
                wanted = wanted_rules(rules, self.group_id)
                if group:
                    before.setdefault(name, {})[key] = sorted(rule_text(r) for r in current)
                after[name][key] = sorted(rule_text(r) for r in wanted)
                if current == wanted:
                    continue
                changed = True
                if self.check or not group:
                    continue
                for action, rules_of_action in (("revoke", current - wanted), ("authorize", wanted - current)):
                    if rules_of_action:
                        self.call(
                            f"{action} {key} rules of {name}",
                            f"{action}_security_group_{key}",
                            GroupId=group["GroupId"],
                            IpPermissions=[to_permission(r) for r in sorted(rules_of_action, key=str)],
                        )
        return changed

    # --- state: absent -----------------------------------------------------------------
    def remove(self):
        self.read()
        self.created_nats, self.nat_by_az, self.unwanted_nats, self.table_results = [], {}, [], []
        diff = {"before": {}, "after": {}}
        if self.vpc is None:
            return False, diff
        diff["before"] = {
            "vpc": {"id": self.vpc["VpcId"], "cidr_block": self.vpc["CidrBlock"]},
            "subnets": sorted(self.name_of(s) or s["SubnetId"] for s in self.subnets.values()),
            "nat_gateways": sorted(self.name_of(n) or n["NatGatewayId"] for n in self.nats),
            "security_groups": sorted(name for name in self.groups if name != "default"),
        }
        if self.check:
            self.vpc, self.igw, self.subnets, self.groups = None, None, {}, {}
            return True, diff
        self.unwanted_nats = list(self.nats)
        self.delete_unwanted_nats()
        groups = [g for name, g in self.groups.items() if name != "default"]
        for group in groups:
            for perms_key, verb in (("IpPermissions", "ingress"), ("IpPermissionsEgress", "egress")):
                if group.get(perms_key):
                    self.call(
                        f"revoke {verb} rules of {group['GroupName']}",
                        f"revoke_security_group_{verb}",
                        GroupId=group["GroupId"],
                        IpPermissions=group[perms_key],
                    )
        for group in groups:
            self.call(f"delete security group {group['GroupName']}", "delete_security_group", GroupId=group["GroupId"])
        for table in self.tables:
            if any(a.get("Main") for a in table.get("Associations", [])):
                continue
            for association in table.get("Associations", []):
                self.call(
                    "disassociate route table",
                    "disassociate_route_table",
                    AssociationId=association["RouteTableAssociationId"],
                )
            self.call("delete route table", "delete_route_table", RouteTableId=table["RouteTableId"])
        if self.igw:
            igw_id = self.igw["InternetGatewayId"]
            self.call(
                "detach internet gateway", "detach_internet_gateway", InternetGatewayId=igw_id, VpcId=self.vpc["VpcId"]
            )
            self.call("delete internet gateway", "delete_internet_gateway", InternetGatewayId=igw_id)
        for subnet in self.subnets.values():
            self.call(f"delete subnet {subnet['SubnetId']}", "delete_subnet", SubnetId=subnet["SubnetId"])
        self.call("delete VPC", "delete_vpc", VpcId=self.vpc["VpcId"])
        self.vpc, self.igw, self.subnets, self.groups = None, None, {}, {}
        return True, diff

    # --- run ----------------------------------------------------------------------------
    def converge(self):
        diff = {"before": {}, "after": {}}
        self.created_nats = []
        self.nat_by_az = {}
        self.unwanted_nats = []
        self.table_results = []
        self.read()
        changed = self.ensure_vpc(diff)
        changed |= self.ensure_subnets(diff)
        changed |= self.ensure_igw(diff)
        changed |= self.ensure_nats(diff)
        changed |= self.ensure_route_tables(diff)
        self.delete_unwanted_nats()
        changed |= self.ensure_groups(diff)
        return changed, diff

    def result(self):
        nat_gateways = []
        for az, nat in self.nat_by_az.items():
            if not nat:
                continue
            addresses = nat.get("NatGatewayAddresses") or [{}]
            nat_gateways.append(
                {
                    "id": nat["NatGatewayId"],
                    "subnet_id": nat["SubnetId"],
                    "az": az,
                    "public_ip": addresses[0].get("PublicIp") or "",
                }
            )
        return {
            "vpc": {"id": (self.vpc or {}).get("VpcId", ""), "cidr_block": self.params["cidr_block"]},
            "subnets": [
                {"name": s["name"], "id": self.subnet_id(s), "cidr": s["cidr"], "az": s["az"], "tier": s["tier"]}
                for s in self.params["subnets"]
            ],
            "route_tables": self.table_results,
            "internet_gateway_id": (self.igw or {}).get("InternetGatewayId", "")
            if self.params["internet_gateway"]
            else "",
            "nat_gateways": nat_gateways,
            "security_groups": {g["name"]: self.group_id(g["name"]) for g in self.params["security_groups"]},
        }


def main():
    rule_spec = dict(
        protocol=dict(type="str", required=True),
        ports=dict(type="list", elements="str", default=[]),
        source_group=dict(type="str"),
        cidr=dict(type="str"),
        description=dict(type="str"),
    )
    argument_spec = dict(
        name=dict(type="str", required=True),
        cidr_block=dict(type="str", required=True),
        resource_prefix=dict(type="str"),
        dns_support=dict(type="bool", default=True),
        dns_hostnames=dict(type="bool", default=True),
        subnets=dict_list(
            name=dict(type="str", required=True),
            cidr=dict(type="str", required=True),
            az=dict(type="str", required=True),
            tier=dict(type="str", required=True, choices=["public", "private"]),
        ),
        internet_gateway=dict(type="bool", default=True),
        nat_gateway=dict(type="str", default="none", choices=["none", "single", "per_az"]),
        security_groups=dict_list(
            name=dict(type="str", required=True),
            description=dict(type="str", required=True),
            ingress=dict_list(**rule_spec),
            egress=dict(type="list", elements="dict", options=rule_spec),
        ),
        **tag_options(),
        **wait_options(600),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = validate(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    network = Network(module, client)
    changed, diff = network.remove() if module.params["state"] == "absent" else network.converge()
    result = dict(changed=changed, **network.result())
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
