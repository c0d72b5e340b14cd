"""docs/interface/departments.md is the departments' page: every code a department can be refused with
is on it, and it is reachable from the interface's index, the sequences and the client's page. (The
data-minimisation table on it is checked against the code by tests/unit/test_department_purposes.py.)"""
from pathlib import Path

from tests.unit.test_docs import codes_in_the_code

INTERFACE = Path(__file__).resolve().parents[2] / "docs" / "interface"
DEPARTMENT_PREFIXES = ("query.", "record.", "subscription.", "department.")


def test_every_code_a_department_can_be_refused_with_is_on_its_page():
    text = (INTERFACE / "departments.md").read_text(encoding="utf-8")
    codes = sorted(code for code in codes_in_the_code() if code.startswith(DEPARTMENT_PREFIXES))
    assert "query.purpose_not_allowed" in codes, "no department code found: the scan is broken"
    assert [code for code in codes if f"`{code}`" not in text and f" {code}`" not in text] == []


def test_the_department_pages_are_linked_from_the_index_the_sequences_and_the_client_page():
    for page in ("README.md", "sequences.md", "client.md"):
        assert "(departments.md" in (INTERFACE / page).read_text(encoding="utf-8"), page
    assert "department-client" in (INTERFACE / "client.md").read_text(encoding="utf-8")
