"""Redis frozen (SIGSTOP) and Redis killed (kill -9, every queued message lost) while a reviewer
approves applications.

Approvals are answered without waiting on the broker; what could not be sent waits in the
outbox, and what Redis lost is sent again by the sweeps, so every approved application is
registered, certified and delivered exactly once.
"""
from __future__ import annotations

import time

import pytest

from tests.faults.checks import check_everything
from tests.faults.stack import application_number

APPLICATIONS = 9
APPROVAL_BOUND_SECONDS = 5.0  # an approval never waits on the broker's 10 s socket timeout


@pytest.mark.timeout(420)
def test_redis_frozen_and_killed_during_approvals(stack, receiver, report):
    faults = []
    stack.upload_materials()
    receipts = stack.submit_all(stack.signed_requests(APPLICATIONS, "broker"))
    numbers = [application_number(receipt) for receipt in receipts.values()]
    staff = stack.reviewer()
    stack.claim(staff, numbers)

    stack.redis.freeze()
    try:
        frozen = stack.approve(staff, numbers[:3])
        time.sleep(3)  # still frozen a while: the worker and beat hang on their connections
    finally:
        stack.redis.thaw()
    faults.append(f"Redis frozen (SIGSTOP) during 3 approvals (slowest answered in {max(frozen):.2f} s), "
                  "then resumed")

    stack.approve(staff, numbers[3:5])  # their tasks reach Redis, and may still wait there...
    stack.redis.kill()  # ...when it dies with every queued message
    killed = stack.approve(staff, numbers[5:7])
    time.sleep(2)
    stack.redis.restart()
    faults.append(f"Redis killed (kill -9) after 2 approvals, during 2 more (slowest answered in "
                  f"{max(killed):.2f} s), restarted empty 2 s later")
    stack.approve(staff, numbers[7:])
    assert max(frozen + killed) < APPROVAL_BOUND_SECONDS, (frozen, killed)

    took = stack.wait_for_recovery(APPLICATIONS)
    faults.append(f"recovered {took:.0f} s after the restart")
    report(faults, check_everything(stack.database_url, receiver, accepted=receipts))
