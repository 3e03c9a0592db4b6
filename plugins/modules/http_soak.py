#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: http_soak
short_description: Send N requests over S seconds to a URL and fail when too many of them fail
version_added: 0.2.0
description:
  - Sends O(requests) GET requests to O(url), spread evenly over O(seconds), one after the other,
    and counts the failed ones - a status outside O(status_codes), a connection error or a timeout.
    Fails when the share of failed requests is above O(max_error_rate); the result always holds
    the counts, so a caller can decide (C(playbooks/migrate_compute.yml) moves traffic back).
  - A soak of C(/api/health) behind CloudFront or the API's DNS name watches both health (the API
    answers 503 when its database or storage is down) and the error rate while traffic shifts.
  - Read-only - it sends GET requests and writes nothing, so it runs the same in check mode and
    never reports a change.
author:
  - Invoice platform team (@invoice-platform)
options:
  url:
    description: The URL to request (for example V(https://api.example.com/api/health)).
    type: str
    required: true
  requests:
    description: How many requests to send (at least 1).
    type: int
    default: 30
  seconds:
    description: Over how many seconds to spread them (0 - back to back).
    type: float
    default: 30
  max_error_rate:
    description: The highest share of failed requests (0-1) that still passes; V(0) fails on the first failure's count.
    type: float
    default: 0
  status_codes:
    description: Statuses that count as a success.
    type: list
    elements: int
    default: [200]
  timeout:
    description: Seconds one request may take.
    type: float
    default: 5
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Soak the API through its name for a minute
  invoice.platform.http_soak:
    url: https://api.example.com/api/health
    requests: 60
    seconds: 60
    max_error_rate: 0.01
  register: soak
"""

RETURN = r"""
requests:
  description: How many requests were sent.
  returned: always
  type: int
  sample: 60
errors:
  description: How many of them failed.
  returned: always
  type: int
  sample: 0
error_rate:
  description: RV(errors) over RV(requests).
  returned: always
  type: float
  sample: 0.0
seconds:
  description: How long the soak took.
  returned: always
  type: float
  sample: 60.2
statuses:
  description: How many answers of each status (C(error) for a request that got no answer).
  returned: always
  type: dict
  sample: {"200": 60}
first_error:
  description: What the first failed request got (status or error text), when one failed.
  returned: when a request failed
  type: str
  sample: "503"
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.urls import open_url


def one_request(url, timeout, validate_certs):
    """The status of one GET (an int), or the error text when no answer came."""
    try:
        response = open_url(url, method="GET", timeout=timeout, validate_certs=validate_certs)
        response.read()
        return response.getcode()
    except HTTPError as e:
        return e.code
    except Exception as e:  # any failure to get an answer counts as a failed request
        return f"{type(e).__name__}: {e}"


def soak(send, count, seconds, ok_statuses, *, clock=time.monotonic, sleep=time.sleep):
    """Send ``count`` requests with ``send()`` spread over ``seconds``; the counts."""
    start = clock()
    statuses, errors, first_error = {}, 0, None
    for index in range(count):
        due = start + seconds * index / count
        if clock() < due:
            sleep(due - clock())
        answer = send()
        key = str(answer) if isinstance(answer, int) else "error"
        statuses[key] = statuses.get(key, 0) + 1
        if answer not in ok_statuses:
            errors += 1
            first_error = first_error or str(answer)
    result = dict(requests=count, errors=errors, error_rate=errors / count, statuses=statuses)
    result["seconds"] = round(clock() - start, 3)
    if first_error is not None:
        result["first_error"] = first_error
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            requests=dict(type="int", default=30),
            seconds=dict(type="float", default=30),
            max_error_rate=dict(type="float", default=0),
            status_codes=dict(type="list", elements="int", default=[200]),
            timeout=dict(type="float", default=5),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    problems = []
    if p["requests"] < 1:
        problems.append(f"requests must be at least 1, got {p['requests']}")
    if p["seconds"] < 0:
        problems.append(f"seconds must not be negative, got {p['seconds']}")
    if not 0 <= p["max_error_rate"] <= 1:
        problems.append(f"max_error_rate must be 0-1, got {p['max_error_rate']}")
    if problems:
        module.fail_json(msg="; ".join(problems))
    result = soak(
        lambda: one_request(p["url"], p["timeout"], p["validate_certs"]),
        p["requests"],
        p["seconds"],
        set(p["status_codes"]),
    )
    if result["error_rate"] > p["max_error_rate"]:
        module.fail_json(
            msg=(
                f"{result['errors']} of {result['requests']} requests to {p['url']} failed in {result['seconds']} s "
                f"(error rate {result['error_rate']:.3f} > max_error_rate {p['max_error_rate']}; "
                f"first: {result['first_error']})"
            ),
            changed=False,
            **result,
        )
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
