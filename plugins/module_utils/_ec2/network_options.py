# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of invoice.platform.ec2_vpc_network's options, before any AWS call (no AWS here).

Each function returns a list of problems, each naming the option it is about; the module
fails with all of them at once.
"""

import ipaddress

from ansible_collections.invoice.platform.plugins.module_utils._ec2.network_plans import (
    normalize_protocol,
    port_range,
    private_azs,
)


def validate_subnets(subnets, vpc_net, cidr_block):
    problems = []
    seen_names, seen_cidrs = set(), []
    for item in subnets:
        label = f"subnets: {item['name']}"
        if item["name"] in seen_names:
            problems.append(f"{label}: the name is listed twice")
        seen_names.add(item["name"])
        try:
            net = ipaddress.ip_network(item["cidr"])
        except ValueError:
            problems.append(f"{label}: cidr {item['cidr']!r} is not an IPv4 network")
            continue
        if net.version != 4 or not net.subnet_of(vpc_net):
            problems.append(f"{label}: cidr {item['cidr']} is not inside cidr_block {cidr_block}")
        for other_name, other in seen_cidrs:
            if net.overlaps(other):
                problems.append(f"{label}: cidr {item['cidr']} overlaps subnet {other_name} ({other})")
        seen_cidrs.append((item["name"], net))
    return problems


def validate(params):
    """Problems with the options, found before any AWS call."""
    try:
        vpc_net = ipaddress.ip_network(params["cidr_block"])
    except ValueError:
        return [f"cidr_block: {params['cidr_block']!r} is not an IPv4 network (like 10.20.0.0/16)"]
    problems = validate_subnets(params["subnets"], vpc_net, params["cidr_block"])
    public = [s for s in params["subnets"] if s["tier"] == "public"]
    if params["nat_gateway"] != "none" and not public:
        problems.append(f"nat_gateway: {params['nat_gateway']} needs at least one public subnet in subnets")
    if params["nat_gateway"] != "none" and not params["internet_gateway"]:
        problems.append(f"nat_gateway: {params['nat_gateway']} needs internet_gateway: true")
    if params["nat_gateway"] == "per_az":
        public_azs = {s["az"] for s in public}
        for az in private_azs(params["subnets"]):
            if az not in public_azs:
                problems.append(f"nat_gateway: per_az needs a public subnet in {az} (it has private subnets)")
    problems.extend(validate_groups(params["security_groups"]))
    return problems


def validate_groups(groups):
    problems = []
    group_names = [g["name"] for g in groups]
    for name in sorted({n for n in group_names if group_names.count(n) > 1}):
        problems.append(f"security_groups: {name} is listed twice")
    for group in groups:
        for key in ("ingress", "egress"):
            for index, rule in enumerate(group[key] or []):
                label = f"security_groups: {group['name']} {key}[{index}]"
                problems.extend(validate_rule(label, rule, group_names))
    return problems


def validate_rule(label, rule, group_names):
    problems = []
    if bool(rule["cidr"]) == bool(rule["source_group"]):
        problems.append(f"{label}: give exactly one of cidr and source_group")
    if rule["source_group"] and rule["source_group"] not in group_names:
        problems.append(
            f"{label}: source_group {rule['source_group']!r} is not a group in security_groups"
            f" ({', '.join(group_names)})"
        )
    if rule["cidr"]:
        try:
            ipaddress.ip_network(rule["cidr"])
        except ValueError:
            problems.append(f"{label}: cidr {rule['cidr']!r} is not a network")
    protocol = normalize_protocol(rule["protocol"])
    if protocol not in ("tcp", "udp", "icmp", "-1"):
        problems.append(f"{label}: protocol {rule['protocol']!r} is not tcp, udp, icmp or -1")
    if protocol in ("tcp", "udp") and not rule["ports"]:
        problems.append(f"{label}: protocol {protocol} needs ports")
    if protocol == "-1" and rule["ports"]:
        problems.append(f"{label}: protocol -1 (all) takes no ports")
    for port in rule["ports"] if protocol in ("tcp", "udp") else []:
        try:
            low, high = port_range(port)
        except ValueError:
            low, high = -1, -1
        if not (0 <= low <= high <= 65535):
            problems.append(f"{label}: port {port!r} is not a port or range (like 5432 or 8000-8100)")
    return problems
