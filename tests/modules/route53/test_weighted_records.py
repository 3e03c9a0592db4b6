"""route53_weighted_records without AWS: input rules, the plan (check mode), the apply (one atomic
change batch, deletions first) and the no-op (no mutating call), on a fake Route 53 client."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible_collections.invoice.platform.plugins.modules.route53_weighted_records import (
    change_batch,
    ensure_records,
    problems,
    wanted_sets,
)

NAME = "api.example.test"
APPRUNNER = "abcd1234.us-east-1.awsapprunner.com"
ALB = "ecsx-api-1.us-east-1.elb.amazonaws.com"
SIMPLE = {"Name": f"{NAME}.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": APPRUNNER}]}
TXT = {"Name": f"{NAME}.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"keep me"'}]}


def pair(ecs: int) -> list[dict[str, Any]]:
    return [
        {"identifier": "apprunner", "weight": 100 - ecs, "value": APPRUNNER, "ttl": 60, "type": "CNAME"},
        {"identifier": "ecs-express", "weight": ecs, "value": ALB, "ttl": 60, "type": "CNAME"},
    ]


ALIAS = [{"type": "A", "alias": {"dns_name": ALB, "hosted_zone_id": "Z35SXDOTRQ7X7K", "evaluate_target_health": True}}]


class FakeRoute53:
    """The zone's record sets, listed from a name on; every change batch is kept."""

    def __init__(self, rrsets: list[dict[str, Any]]) -> None:
        self.rrsets = rrsets
        self.batches: list[list[dict[str, Any]]] = []

    def list_resource_record_sets(self, aws_retry: bool, HostedZoneId: str, StartRecordName: str) -> dict[str, Any]:
        later = [r for r in self.rrsets if r["Name"] >= StartRecordName]
        return {
            "ResourceRecordSets": copy.deepcopy(sorted(later, key=lambda r: (r["Name"], r["Type"]))),
            "IsTruncated": False,
        }

    def change_resource_record_sets(
        self, aws_retry: bool, HostedZoneId: str, ChangeBatch: dict[str, Any]
    ) -> dict[str, Any]:
        self.batches.append(ChangeBatch["Changes"])
        for change in ChangeBatch["Changes"]:
            rrset = change["ResourceRecordSet"]
            same = [
                r
                for r in self.rrsets
                if (r["Type"], r.get("SetIdentifier")) == (rrset["Type"], rrset.get("SetIdentifier"))
            ]
            for r in same:
                self.rrsets.remove(r)
            if change["Action"] == "UPSERT":
                self.rrsets.append(copy.deepcopy(rrset))
        return {"ChangeInfo": {"Id": "/change/C1", "Status": "INSYNC"}}


class FakeModule:
    def __init__(self, check_mode: bool = False) -> None:
        self.check_mode = check_mode
        self.params = {"name": NAME, "wait": True, "wait_timeout": 30}

    def fail_json_aws(self, error: Exception, msg: str) -> None:
        raise AssertionError(msg)


def converge(client: FakeRoute53, records: list[dict[str, Any]], check_mode: bool = False) -> tuple[bool, dict]:
    result: dict[str, Any] = {}
    changed = ensure_records(FakeModule(check_mode), client, "Z1", wanted_sets(NAME, records), result)
    return changed, result


def test_plan_then_apply_turns_a_simple_cname_into_a_weighted_pair_in_one_batch() -> None:
    client = FakeRoute53([copy.deepcopy(SIMPLE), copy.deepcopy(TXT)])
    changed, plan = converge(client, pair(10), check_mode=True)
    assert changed and client.batches == []  # the plan writes nothing
    assert plan["changes"] == ["DELETE CNAME -", "UPSERT CNAME apprunner", "UPSERT CNAME ecs-express"]
    assert plan["diff"]["before"] == {"records": [f"{NAME} CNAME -> {APPRUNNER} ttl=300"]}
    assert plan["diff"]["after"] == {
        "records": [
            f"{NAME} CNAME apprunner weight=90 -> {APPRUNNER} ttl=60",
            f"{NAME} CNAME ecs-express weight=10 -> {ALB} ttl=60",
        ]
    }

    changed, applied = converge(client, pair(10))
    assert changed and applied["change_id"] == "C1"
    (batch,) = client.batches  # one atomic change: the simple record goes in the same batch
    assert [c["Action"] for c in batch] == ["DELETE", "UPSERT", "UPSERT"]
    assert batch[0]["ResourceRecordSet"] == SIMPLE  # deleted exactly as listed
    assert {r.get("SetIdentifier"): r.get("Weight") for r in client.rrsets if r["Type"] == "CNAME"} == {
        "apprunner": 90,
        "ecs-express": 10,
    }
    assert TXT in client.rrsets  # other types at the name are not touched


def test_a_step_upserts_only_the_weights_that_move_and_the_end_is_one_alias() -> None:
    client = FakeRoute53(wanted_sets(NAME, pair(10)))
    changed, _ = converge(client, pair(50))
    assert changed
    assert [
        (c["Action"], c["ResourceRecordSet"]["SetIdentifier"], c["ResourceRecordSet"]["Weight"])
        for c in client.batches[-1]
    ] == [
        ("UPSERT", "apprunner", 50),
        ("UPSERT", "ecs-express", 50),
    ]
    changed, _ = converge(client, ALIAS)
    assert [(c["Action"], c["ResourceRecordSet"]["Type"]) for c in client.batches[-1]] == [
        ("DELETE", "CNAME"),
        ("DELETE", "CNAME"),
        ("UPSERT", "A"),
    ]
    (record,) = client.rrsets
    assert record["AliasTarget"] == {
        "DNSName": f"{ALB}.",
        "HostedZoneId": "Z35SXDOTRQ7X7K",
        "EvaluateTargetHealth": True,
    }


@pytest.mark.parametrize("records", [pair(100), ALIAS])
def test_no_op_makes_no_mutating_call(records: list[dict[str, Any]]) -> None:
    # As Route 53 lists them: names with a trailing dot, alias names upper case or dotted differently.
    listed = wanted_sets(NAME, records)
    for r in listed:
        if "AliasTarget" in r:
            r["AliasTarget"]["DNSName"] = ALB.upper() + "."
        else:
            r["ResourceRecords"][0]["Value"] += "."
    client = FakeRoute53(listed)
    for check_mode in (True, False):
        changed, result = converge(client, records, check_mode=check_mode)
        assert not changed and result["changes"] == []
    assert client.batches == []


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([], "at least one record"),
        ([{"value": "a.test"}, {"identifier": "x", "weight": 1, "value": "b.test"}], "must be the only one"),
        ([{"identifier": "x", "value": "a.test"}], "records[0] (x) needs a weight"),
        ([{"identifier": "x", "weight": 256, "value": "a.test"}], "weight must be 0-255, got 256"),
        (
            [{"identifier": "x", "weight": 1, "value": "a"}, {"identifier": "x", "weight": 1, "value": "b"}],
            "given twice",
        ),
        ([{"type": "CNAME", "alias": {"dns_name": "a", "hosted_zone_id": "Z"}}], "not CNAME"),
        ([{"identifier": "x", "weight": 1}], "exactly one of value and alias"),
        (
            [
                {"identifier": "x", "weight": 1, "value": "a"},
                {"identifier": "y", "weight": 1, "type": "A", "value": "127.0.0.1"},
            ],
            "all be of one type",
        ),
    ],
)
def test_bad_records_are_refused_before_any_call(records: list[dict[str, Any]], expected: str) -> None:
    normalised = [{"type": "CNAME", "ttl": 60, **r} for r in records]
    assert any(expected in p for p in problems(normalised)), problems(normalised)


def test_change_batch_is_empty_when_equal_and_deletes_what_is_not_wanted() -> None:
    wanted = wanted_sets(NAME, pair(50))
    assert change_batch(copy.deepcopy(wanted), wanted) == []
    extra = {
        "Name": f"{NAME}.",
        "Type": "CNAME",
        "SetIdentifier": "old",
        "Weight": 1,
        "TTL": 60,
        "ResourceRecords": [{"Value": "x."}],
    }
    batch = change_batch([*copy.deepcopy(wanted), extra], wanted)
    assert batch == [{"Action": "DELETE", "ResourceRecordSet": extra}]
