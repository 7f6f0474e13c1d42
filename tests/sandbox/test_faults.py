"""Fault injection, at start and at run time (Python handle and admin endpoint): latency, per-second
budgets, per-issue write limits, status rules by rate or Nth request, connection resets, slow bodies,
and determinism for a given seed."""

from __future__ import annotations

import time

import pytest
import requests

from jira_sandbox.faults import FaultConfig, FaultInjector, FaultRule
from jira_sandbox.testing import Sandbox, running_sandbox


def get(sandbox: Sandbox, path: str = "myself", timeout: float = 10) -> requests.Response:
    return requests.get(f"{sandbox.url}/rest/api/2/{path}", auth=sandbox.auth, timeout=timeout)


def test_rate_budget_answers_429_with_jira_headers(cloud: Sandbox) -> None:
    cloud.set_faults(rate_limits={"GET": 2}, retry_after=3)
    cloud.freeze_fault_clock(1000.0)  # all six in one one-second window, however slow the machine
    statuses = [get(cloud) for _ in range(6)]
    assert [r.status_code for r in statuses] == [200, 200, 429, 429, 429, 429]
    limited = statuses[2:]
    headers = limited[0].headers
    assert headers["Retry-After"] == "3"
    assert headers["RateLimit-Reason"] == "jira-burst-based"
    assert headers["X-RateLimit-Limit"] == "2"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Reset"].endswith("Z")
    assert limited[0].json()["errorMessages"]
    put = requests.put(f"{cloud.url}/rest/api/2/issue/OPS-1/properties/x", json=1, auth=cloud.auth, timeout=10)
    assert put.status_code != 429  # the budget is per method


def test_rate_budget_refills_each_second(cloud: Sandbox) -> None:
    cloud.set_faults(rate_limits={"*": 1})
    cloud.freeze_fault_clock(1000.0)
    assert [get(cloud).status_code for _ in range(2)] == [200, 429]
    cloud.freeze_fault_clock(1001.0)
    assert [get(cloud).status_code for _ in range(2)] == [200, 429]


def test_per_issue_write_limit(cloud: Sandbox) -> None:
    cloud.set_faults(issue_write_limit=2, issue_write_window_s=30)
    cloud.freeze_fault_clock(1000.0)
    url = f"{cloud.url}/rest/api/2/issue/OPS-2/properties/x"
    codes = [requests.put(url, json=i, auth=cloud.auth, timeout=10).status_code for i in range(3)]
    assert codes[2] == 429
    last = requests.put(url, json=0, auth=cloud.auth, timeout=10)
    assert last.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
    other = requests.put(f"{cloud.url}/rest/api/2/issue/OPS-3/properties/x", json=1, auth=cloud.auth, timeout=10)
    assert other.status_code in (200, 201)
    assert get(cloud, "issue/OPS-2").status_code == 200  # reads are not limited


@pytest.mark.parametrize("status", [500, 502, 504])
def test_status_on_the_nth_request_to_a_path(cloud: Sandbox, status: int) -> None:
    cloud.add_fault(status=status, path=r"/issue/OPS-5$", nth=2)
    codes = [get(cloud, "issue/OPS-5").status_code for _ in range(4)]
    assert codes == [200, status, 200, 200]
    assert get(cloud, "issue/OPS-6").status_code == 200


def test_a_rule_may_look_at_the_body(cloud: Sandbox) -> None:
    cloud.add_fault(status=502, method="POST", path="/search/jql$", body='"nextPageToken"')
    url = f"{cloud.url}/rest/api/2/search/jql"
    first = requests.post(url, json={"jql": "project = OPS", "maxResults": 5}, auth=cloud.auth, timeout=10)
    assert first.status_code == 200 and first.json()["nextPageToken"]
    page = {"jql": "project = OPS", "maxResults": 5, "nextPageToken": first.json()["nextPageToken"]}
    assert requests.post(url, json=page, auth=cloud.auth, timeout=10).status_code == 502
    assert requests.post(url, json={"jql": "project = SUP"}, auth=cloud.auth, timeout=10).status_code == 200


def test_503_with_and_without_retry_after(cloud: Sandbox) -> None:
    cloud.add_fault(status=503, retry_after=7, method="GET", path="/myself", times=1)
    cloud.add_fault(status=503, method="GET", path="/myself", times=1)
    first, second, third = get(cloud), get(cloud), get(cloud)
    assert (first.status_code, first.headers.get("Retry-After")) == (503, "7")
    assert (second.status_code, second.headers.get("Retry-After")) == (503, None)
    assert third.status_code == 200
    counts = cloud.request_counts()
    assert (counts.faults, counts.by_status[503]) == (2, 2)


def test_connection_reset(cloud: Sandbox) -> None:
    cloud.add_fault(action="reset", path="/myself", times=1)
    with pytest.raises(requests.ConnectionError):
        get(cloud)
    assert get(cloud).status_code == 200
    assert cloud.requests()[0].status == 0


def test_client_retries_a_reset(cloud: Sandbox) -> None:
    jira = cloud.jira()
    cloud.add_fault(action="reset", path="/myself", times=1)
    assert jira.myself()["accountId"] == "acc-admin"


def test_latency_delay_and_slow_body(cloud: Sandbox) -> None:
    cloud.set_faults(latency_ms=150)
    started = time.perf_counter()
    get(cloud)
    assert time.perf_counter() - started >= 0.15
    cloud.set_faults(rules=[FaultRule(action="slow_body", delay_ms=300, path="/field")])
    started = time.perf_counter()
    response = get(cloud, "field")
    assert time.perf_counter() - started >= 0.25
    assert response.json()[0]["id"] == "summary"  # the body arrives whole
    cloud.set_faults(rules=[FaultRule(action="delay", delay_ms=200)])
    with pytest.raises(requests.Timeout):
        get(cloud, timeout=0.05)


def test_rate_rules_are_deterministic_for_a_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        injector = FaultInjector(FaultConfig(seed=seed, rules=[FaultRule(status=500, rate=0.3)]))
        return [injector.decide("GET", "/rest/api/2/myself") is not None for _ in range(200)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 30 < sum(pattern(1)) < 90


def test_a_requests_fate_does_not_depend_on_the_others_interleaved_with_it() -> None:
    """Four requests, each tried six times (as four threads retrying would), sent in two different orders:
    each request meets exactly the same faults, attempt by attempt."""
    paths = [f"/rest/api/2/issue/OPS-{n}" for n in range(1, 5)]
    rules = [FaultRule(status=429, retry_after=0, method="PUT", rate=0.5, times_per_request=2)]

    def fates(order: list[str]) -> dict[str, list[bool]]:
        injector = FaultInjector(FaultConfig(seed=7, rules=rules))
        seen: dict[str, list[bool]] = {path: [] for path in paths}
        for path in order:
            seen[path].append(injector.decide("PUT", path, "notifyUsers=false") is not None)
        return seen

    round_robin = [path for _ in range(6) for path in paths]
    one_after_another = [path for path in reversed(paths) for _ in range(6)]
    fate = fates(round_robin)
    assert fate == fates(one_after_another)
    assert all(sum(attempts) <= 2 for attempts in fate.values())  # a request retried enough gets through
    assert sum(map(sum, fate.values())) > 0, "the rule fired at all"


def test_times_per_request_caps_each_request_not_the_rule() -> None:
    injector = FaultInjector(FaultConfig(rules=[FaultRule(status=503, method="PUT", times_per_request=2)]))
    answers = [injector.decide("PUT", path) is not None for path in ["/a", "/b", "/a", "/b", "/a", "/b", "/c"]]
    assert answers == [True, True, True, True, False, False, True]


def test_faults_configured_at_start() -> None:
    with running_sandbox(rules=[{"status": 502, "path": "/serverInfo", "times": 1}]) as sandbox:
        assert requests.get(f"{sandbox.url}/rest/api/2/serverInfo", timeout=10).status_code == 502
        assert requests.get(f"{sandbox.url}/rest/api/2/serverInfo", timeout=10).status_code == 200


def test_admin_endpoint(cloud: Sandbox) -> None:
    admin = f"{cloud.url}/_sandbox"
    assert requests.get(f"{admin}/faults", timeout=10).status_code == 401
    alice = ("alice@example.com", "token-alice")
    assert requests.get(f"{admin}/faults", auth=alice, timeout=10).status_code == 403
    config = {"rules": [{"status": 429, "retry_after": 2, "path": "/myself", "times": 1}]}
    assert requests.put(f"{admin}/faults", json=config, auth=cloud.auth, timeout=10).status_code == 200
    assert (
        requests.patch(f"{admin}/faults", json={"latency_ms": 1}, auth=cloud.auth, timeout=10).json()["latency_ms"] == 1
    )
    limited = get(cloud)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
    log = requests.get(f"{admin}/requests", auth=cloud.auth, timeout=10).json()
    assert log["counts"]["other"] == 1
    assert log["requests"][-1]["status"] == 429
    assert log["requests"][-1]["fault"] == "rule0:error:429"
    assert requests.delete(f"{admin}/faults", auth=cloud.auth, timeout=10).status_code == 204
    assert requests.delete(f"{admin}/requests", auth=cloud.auth, timeout=10).status_code == 204
    assert cloud.request_counts().total == 0
    bad = requests.put(f"{admin}/faults", json={"rules": [{"action": "explode"}]}, auth=cloud.auth, timeout=10)
    assert bad.status_code == 400
    assert set(bad.json()) == {"errorMessages", "errors"}


def test_a_delayed_response_makes_the_change_before_the_client_hears_of_it(cloud: Sandbox) -> None:
    """`delay_response` serves the request, then holds its answer: the state a crash test needs, a write that
    Jira made and the client has not yet seen succeed."""
    import contextlib
    import threading

    cloud.add_fault(action="delay_response", delay_ms=600_000, method="PUT", path=r"/properties/held$", times=1)
    url = f"{cloud.url}/rest/api/2/issue/OPS-7/properties/held"
    answered = threading.Event()

    def put() -> None:
        with contextlib.suppress(requests.RequestException):  # the sandbox drops the held answer when it stops
            requests.put(url, json={"v": 1}, auth=cloud.auth, timeout=600)
        answered.set()

    threading.Thread(target=put, daemon=True).start()
    deadline = time.monotonic() + 30
    while (seen := get(cloud, "issue/OPS-7/properties/held")).status_code != 200:
        assert time.monotonic() < deadline, "the held write was never made"
        time.sleep(0.02)
    assert seen.json()["value"] == {"v": 1}
    assert not answered.is_set()  # the change is in, the answer is still held
