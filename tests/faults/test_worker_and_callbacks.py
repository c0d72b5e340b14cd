"""The worker killed (kill -9, with its pool) while it makes certificates and while it POSTs
callbacks, and the bank's callback endpoint slow, down, then failing 30 % of the time.

Nothing may be lost or done twice: a certificate whose task died is made by the sweep, exactly
once; a callback whose POST was cut is sent again under the same delivery id.
"""
from __future__ import annotations

import time

import pytest

from tests.faults.checks import check_everything
from tests.faults.stack import application_number, wait_until

APPLICATIONS = 8


@pytest.mark.timeout(420)
def test_worker_killed_during_certificates_and_callbacks_and_a_failing_callback_endpoint(stack, receiver, report):
    faults = []
    receiver.delay_seconds = 1.0  # a slow bank: each POST takes a second (the timeout is 3 s)
    stack.upload_materials()
    receipts = stack.submit_all(stack.signed_requests(APPLICATIONS, "worker"))
    numbers = [application_number(receipt) for receipt in receipts.values()]
    staff = stack.reviewer()
    stack.claim(staff, numbers)
    stack.approve(staff, numbers)

    wait_until(lambda: stack.progress()["certificates"] >= 1, timeout=60, what="a first certificate",
               details=stack.log_tails, interval=0.05)
    made = stack.progress()["certificates"]
    stack.kill("worker")
    faults.append(f"kill -9 of the worker during certificate generation ({made} of {APPLICATIONS} made)")
    assert made < APPLICATIONS, "every certificate was made before the kill: nothing was interrupted"
    stack.start_worker()

    wait_until(lambda: receiver.in_flight > 0, timeout=90, what="a callback POST under way",
               details=stack.log_tails, interval=0.02)
    stack.kill("worker")
    faults.append(f"kill -9 of the worker during a callback POST ({len(receiver.received)} callbacks received "
                  f"before, {stack.progress()['certificates']} certificates made)")
    stack.start_worker()

    receiver.go_down()
    faults.append("the bank's callback endpoint down for 5 s")
    time.sleep(5)
    receiver.delay_seconds, receiver.failure_rate = 0.5, 0.3
    receiver.come_back()
    faults.append("then slow (0.5 s) and failing 30 % of the POSTs")

    took = stack.wait_for_recovery(APPLICATIONS)
    faults.append(f"recovered {took:.0f} s later")
    report(faults, check_everything(stack.database_url, receiver, accepted=receipts))
