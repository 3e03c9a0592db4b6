"""Issue 14 (API): login throttling that a stranger cannot turn into a lockout, and a client
address that a client cannot choose (X-Forwarded-For only from configured front ends)."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import SettingsError, load_settings
from tests.app.conftest import PASSWORD


def _login(client, email, password, address=None):
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/api/auth/login", json={"email": email, "password": password}, headers=headers)


def test_failures_from_rotating_addresses_slow_the_account_down_but_never_lock_it(settings, users, sql):
    # TestClient connects as "testclient": here it stands for the load balancer in front of the API.
    conf = settings.with_overrides(trusted_proxies=("testclient",), login_backoff_max_seconds=2)
    viewer = users["viewer"]
    with TestClient(create_app(conf)) as client:
        assert _login(client, viewer, PASSWORD, "198.51.100.7").status_code == 200  # the user's usual address
        for n in range(conf.login_backoff_after):
            assert _login(client, viewer, "wrong", f"203.0.113.{n}").status_code == 401
        # the next stranger waits (1 s after the 5th failure, then 2, 4 ... capped), without a verification
        refused = _login(client, viewer, "wrong", "203.0.113.99")
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 2
        assert sql("SELECT count(*) FROM login_attempts WHERE ip_address = '203.0.113.99'")[0][0] == 0
        # the user's known address is not slowed down by strangers' failures
        assert _login(client, viewer, PASSWORD, "198.51.100.7").status_code == 200
        # a new address of the user's gets in after the short delay, not after 15 minutes
        time.sleep(int(refused.headers["retry-after"]))
        assert _login(client, viewer, PASSWORD, "192.0.2.55").status_code == 200
        # the delay grows with more failures and stops at login_backoff_max_seconds
        for n in range(2):
            time.sleep(2)
            assert _login(client, viewer, "wrong", f"203.0.114.{n}").status_code == 401
        refused = _login(client, viewer, "wrong", "203.0.114.50")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 2


def test_failures_from_one_address_stop_that_pair_only(settings, users):
    conf = settings.with_overrides(trusted_proxies=("testclient",))
    with TestClient(create_app(conf)) as client:
        for _ in range(conf.login_max_attempts_pair):
            _login(client, users["viewer"], "wrong", "203.0.113.1")
        assert _login(client, users["viewer"], PASSWORD, "203.0.113.1").status_code == 429
        # the same address may still log in to another account
        assert _login(client, users["admin"], PASSWORD, "203.0.113.1").status_code == 200


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(settings, users):
    with TestClient(create_app(settings.with_overrides(login_max_attempts_ip=3))) as client:
        for n in range(3):
            _login(client, f"nobody{n}@example.test", "x", f"203.0.113.{n}")
        # rotating X-Forwarded-For did not make three clients out of one
        assert _login(client, users["admin"], PASSWORD, "203.0.113.200").status_code == 429


def test_login_limits_and_proxies_come_from_the_environment():
    conf = load_settings(
        {
            "LOGIN_MAX_ATTEMPTS_IP": "7",
            "LOGIN_MAX_ATTEMPTS_PAIR": "4",
            "LOGIN_WINDOW_SECONDS": "60",
            "LOGIN_BACKOFF_AFTER": "9",
            "LOGIN_BACKOFF_MAX_SECONDS": "30",
            "TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
            "MAX_LIST_LIMIT": "500",
            "WORKER_MAX_ATTEMPTS": "5",
        },
        env_file=None,
    )
    assert (conf.login_max_attempts_ip, conf.login_max_attempts_pair, conf.login_window_seconds) == (7, 4, 60)
    assert (conf.login_backoff_after, conf.login_backoff_max_seconds) == (9, 30)
    assert conf.trusted_proxies == ("10.0.0.0/8", "192.0.2.1")
    assert (conf.max_list_limit, conf.worker_max_attempts) == (500, 5)
    assert load_settings({}, env_file=None).trusted_proxies == ()
    for name, value in [("TRUSTED_PROXIES", "*"), ("LOGIN_MAX_ATTEMPTS_PAIR", "0"), ("MAX_LIST_LIMIT", "many")]:
        with pytest.raises(SettingsError, match=name):
            load_settings({name: value}, env_file=None)


def test_behind_app_runner_the_client_is_the_right_most_public_forwarded_address(settings, users):
    # The service role's default service_trusted_proxies: App Runner's router comes from a private
    # address and appends the client's public one; what the client wrote itself comes first.
    role_default = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
    conf = settings.with_overrides(trusted_proxies=role_default, login_max_attempts_ip=3)
    with TestClient(create_app(conf), client=("10.20.30.40", 50000)) as client:
        for n in range(3):  # one client at 198.51.100.9 claiming three addresses (public and private)
            claimed = ("203.0.113.5", "10.9.9.9", f"192.0.2.{n}")[n]
            assert _login(client, f"nobody{n}@example.test", "x", f"{claimed}, 198.51.100.9").status_code == 401
        assert _login(client, users["viewer"], PASSWORD, "198.51.100.9").status_code == 429
        # another client behind the same router keeps its own limit
        assert _login(client, users["viewer"], PASSWORD, "198.51.100.10").status_code == 200
