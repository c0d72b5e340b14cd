"""What a test checked, shown in the run's summary (also under pytest-xdist, also without ``-s``).

A test calls :func:`checked` with one line (counts, not data); the ``conftest`` hooks collect
those lines from every test that passed and print them under "what the tests checked".
"""
from __future__ import annotations

PREFIX = "[checked] "


def checked(line: str) -> None:
    print(PREFIX + line)
