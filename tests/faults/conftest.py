"""Fault tests: each starts its own PostgreSQL, Redis, API, worker and beat, and breaks them.

Run with ``make test-faults`` (``make test`` leaves this folder out). Whatever they need that is
missing makes them fail, never skip.
"""
from __future__ import annotations

import os
import shutil

import pytest

from tests.faults.checks import Counts
from tests.faults.stack import Stack
from tests.support.callbacks import CallbackReceiver
from tests.support.processes import postgres_bin_dir


@pytest.fixture(scope="session")
def fault_tools() -> None:
    """redis-server, PostgreSQL's server binaries and, as root, runuser: fail (never skip) without them."""
    missing = [tool for tool in ("redis-server",) + (("runuser",) if os.geteuid() == 0 else ())
               if shutil.which(tool) is None]
    assert not missing, f"fault tests need {', '.join(missing)} (see .ci/ensure-services)"
    postgres_bin_dir()


@pytest.fixture
def receiver():
    receiver = CallbackReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def stack(fault_tools, tmp_path, pki, receiver):
    stack = Stack(tmp_path, pki, receiver)
    yield stack
    stack.stop()


@pytest.fixture
def report(stack, capsys, request, record_property):
    """Print what a fault test injected and what the check counted, also without ``-s`` (CI output)."""
    def write(faults: list[str], counts: Counts) -> None:
        record_property("counts", counts.line())
        with capsys.disabled():
            print(f"\n[{request.node.name}]")
            for fault in faults:
                print(f"  fault: {fault}")
            for process in stack.restarted:
                print(f"  exited by itself, restarted by the supervisor: {process}")
            print(f"  checked: {counts.line()}")

    return write
