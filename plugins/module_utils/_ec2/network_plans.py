# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What invoice.platform.ec2_vpc_network wants, computed from its options (no AWS here).

NAT gateways and route tables the layout needs, security group rules as comparable tuples
``(protocol, from, to, target, description)`` and back to EC2 permissions.
"""

ANYWHERE = "0.0.0.0/0"


def rule_text(rule):
    protocol, low, high, target, description = rule
    ports = "all" if protocol == "-1" else (str(low) if low == high else f"{low}-{high}")
    return f"{protocol} {ports} {target}" + (f" ({description})" if description else "")


def normalize_protocol(protocol):
    value = str(protocol).lower()
    return {"all": "-1", "6": "tcp", "17": "udp", "1": "icmp"}.get(value, value)


def port_range(port):
    text = str(port)
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def private_azs(subnets):
    azs = []
    for s in subnets:
        if s["tier"] == "private" and s["az"] not in azs:
            azs.append(s["az"])
    return azs


def nat_plan(params):
    """(az, public subnet item) of every wanted NAT gateway."""
    mode = params["nat_gateway"]
    public = [s for s in params["subnets"] if s["tier"] == "public"]
    if mode == "none":
        return []
    if mode == "single":
        return [(public[0]["az"], public[0])]
    plan = []
    for az in private_azs(params["subnets"]):
        plan.append((az, next(s for s in public if s["az"] == az)))
    return plan


def table_plan(params, prefix, igw_id, nat_by_az):
    """name -> (wanted routes {dest: (kind, target)}, subnet items)."""
    plan = {}
    subnets = params["subnets"]
    if params["internet_gateway"]:
        plan[f"{prefix}-public"] = (
            {ANYWHERE: ("GatewayId", igw_id or "(new internet gateway)")},
            [s for s in subnets if s["tier"] == "public"],
        )
    single_az = next(iter(nat_by_az), None)
    for az in private_azs(subnets):
        routes = {}
        if params["nat_gateway"] != "none":
            nat_az = az if params["nat_gateway"] == "per_az" else single_az
            nat_id = (nat_by_az.get(nat_az) or {}).get("NatGatewayId")
            routes[ANYWHERE] = ("NatGatewayId", nat_id or f"(new NAT gateway {prefix}-nat-{nat_az})")
        plan[f"{prefix}-private-{az}"] = (
            routes,
            [s for s in subnets if s["tier"] == "private" and s["az"] == az],
        )
    return plan


def table_routes(table):
    routes = {}
    for route in table.get("Routes", []):
        dest = route.get("DestinationCidrBlock")
        if not dest or route.get("GatewayId") == "local" or route.get("Origin") == "CreateRouteTable":
            continue
        for kind in (
            "GatewayId",
            "NatGatewayId",
            "InstanceId",
            "NetworkInterfaceId",
            "VpcPeeringConnectionId",
            "TransitGatewayId",
        ):
            if route.get(kind):
                routes[dest] = (kind, route[kind])
                break
    return routes


def wanted_rules(rules, group_id):
    """Set of (protocol, from, to, target, description) for the rules of the task."""
    result = set()
    for rule in rules:
        protocol = normalize_protocol(rule["protocol"])
        ranges = [(None, None)] if protocol == "-1" else [port_range(p) for p in rule["ports"]]
        if protocol == "icmp" and not rule["ports"]:
            ranges = [(-1, -1)]
        target = rule["cidr"] if rule["cidr"] else (group_id(rule["source_group"]) or f"({rule['source_group']})")
        for low, high in ranges:
            result.add((protocol, low, high, target, rule.get("description") or None))
    return result


def current_rules(permissions):
    result = set()
    for perm in permissions or []:
        protocol = perm["IpProtocol"]
        low, high = (None, None) if protocol == "-1" else (perm.get("FromPort"), perm.get("ToPort"))
        for ip_range in perm.get("IpRanges", []):
            result.add((protocol, low, high, ip_range["CidrIp"], ip_range.get("Description") or None))
        for ip_range in perm.get("Ipv6Ranges", []):
            result.add((protocol, low, high, ip_range["CidrIpv6"], ip_range.get("Description") or None))
        for pair in perm.get("UserIdGroupPairs", []):
            result.add((protocol, low, high, pair["GroupId"], pair.get("Description") or None))
    return result


def to_permission(rule):
    protocol, low, high, target, description = rule
    perm = {"IpProtocol": protocol}
    if protocol != "-1":
        perm["FromPort"], perm["ToPort"] = low, high
    extra = {"Description": description} if description else {}
    if target.startswith("sg-"):
        perm["UserIdGroupPairs"] = [{"GroupId": target, **extra}]
    elif ":" in target:
        perm["Ipv6Ranges"] = [{"CidrIpv6": target, **extra}]
    else:
        perm["IpRanges"] = [{"CidrIp": target, **extra}]
    return perm
