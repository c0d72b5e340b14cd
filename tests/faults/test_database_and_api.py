"""PostgreSQL restarted during a burst of submissions and again during certificate generation, and
the API killed (kill -9) during submissions, after which the bank sends the same bytes again.

A submission cut off by a fault is resent by the bank until it is answered; a request the gateway
had already accepted is answered with the very receipt it was first given (idempotent by
RequestId), and nothing is stored twice.
"""
from __future__ import annotations

import threading
import time

import pytest

from tests.faults.checks import check_everything
from tests.faults.stack import SubmissionTally, application_number, wait_until

BURST = 12


class During(threading.Thread):
    """Injects ``fault`` once ``after`` applications have been accepted, while the bank submits."""

    def __init__(self, stack, fault, *, after: int):
        super().__init__(daemon=True)  # never holds pytest's exit if the test fails first
        self.stack, self.fault, self.after = stack, fault, after
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            wait_until(lambda: self.stack.progress()["applications"] >= self.after, timeout=60,
                       what=f"{self.after} applications accepted before the fault", interval=0.02)
            self.fault()
        except BaseException as exc:  # re-raised by finish(), on the test's thread
            self.error = exc

    def finish(self) -> None:
        self.join(timeout=150)
        assert not self.is_alive(), "the fault did not finish"
        if self.error is not None:
            raise self.error


@pytest.mark.timeout(420)
def test_postgresql_restarted_and_the_api_killed_during_submissions(stack, receiver, report):
    faults = []
    stack.upload_materials()

    tally = SubmissionTally()
    restart = During(stack, lambda: _restart_postgres(stack, "fast", down=2), after=3)
    receipts = stack.submit_all(stack.signed_requests(BURST, "pg"), tally=tally)
    restart.finish()
    assert tally.cut_off(), f"the restart interrupted no submission ({tally})"
    faults.append(f"PostgreSQL restarted (fast, 2 s down) during a burst of {BURST} submissions "
                  f"(answers: {tally})")

    tally = SubmissionTally()
    requests = stack.signed_requests(BURST, "api")
    kill = During(stack, lambda: _kill_and_restart_api(stack), after=BURST + 3)
    first_answers = stack.submit_all(requests, tally=tally)
    kill.finish()
    assert tally.cut_off(), f"the kill interrupted no submission ({tally})"
    resent = stack.submit_all(requests)
    assert resent == first_answers, "a resent request got another receipt than the first time"
    receipts.update(first_answers)
    faults.append(f"kill -9 of the API during a burst of {BURST} submissions, restarted; then the bank resent "
                  f"all {BURST} (answers: {tally}; every resend got the same receipt)")

    numbers = [application_number(receipt) for receipt in receipts.values()]
    staff = stack.reviewer()
    stack.claim(staff, numbers)
    stack.approve(staff, numbers)
    wait_until(lambda: stack.progress()["certificates"] >= 1, timeout=60, what="a first certificate",
               details=stack.log_tails, interval=0.05)
    made = stack.progress()["certificates"]
    _restart_postgres(stack, "immediate", down=2)
    faults.append(f"PostgreSQL restarted (immediate: as a crash, 2 s down) during certificate generation "
                  f"({made} of {len(numbers)} made)")

    took = stack.wait_for_recovery(len(numbers))
    faults.append(f"recovered {took:.0f} s later")
    report(faults, check_everything(stack.database_url, receiver, accepted=receipts))


def _restart_postgres(stack, mode: str, *, down: float) -> None:
    stack.postgres.stop(mode)
    time.sleep(down)
    stack.postgres.start()


def _kill_and_restart_api(stack) -> None:
    stack.kill("api")
    stack.start_api()
