"""Property tests (hypothesis) of the two places untrusted values meet rules: the XML adapter and
the pre-review rules. Derandomised and bounded, so a run takes seconds and repeats exactly.

The adapter, fed mutated application documents and arbitrary bytes, raises nothing but its
documented refusals; whatever it writes it reads back unchanged. Every pre-review rule, fed
applications with arbitrary field values, returns findings (never raises) whose codes are the
ones it declares, with their documented severity.
"""
from __future__ import annotations

import copy
import dataclasses
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, event, given, settings
from lxml import etree

from bank_adapters import CanonicalApplication, ChangeItem, LinkRef, MaterialRef, Mortgagee, Party, XmlApplicationAdapter
from bank_adapters.canonical import ChangeField, DischargeReason, IdType, RegistrationType, SpecialCircumstance
from bank_adapters.errors import AdapterError
from gateway.prereview.findings import KINDS
from gateway.prereview.rules import RULES
from signing.errors import DocumentTooLarge, ForbiddenXML, MalformedXML
from signing.xml_parser import parse_xml
from tests.unit.bank_adapters.example_applications import EXAMPLE_REQUESTS
from tests.unit.prereview import factories as prereview

ADAPTER = XmlApplicationAdapter()
PARSER_REFUSALS = (DocumentTooLarge, ForbiddenXML, MalformedXML)
MAX_BYTES = 64 * 1024
BOUNDED = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

EXAMPLES = tuple(EXAMPLE_REQUESTS.values())
EXAMPLE_DOCUMENTS = tuple(
    etree.tostring(ADAPTER.from_canonical(app), xml_declaration=True, encoding="UTF-8") for app in EXAMPLES)

# Values that have broken parsers and validators elsewhere: edge dates and times, exponents,
# signs, invisible and full-width characters, very long runs.
AWKWARD = st.sampled_from([
    "", " ", "\t", "0", "-0", "+1", "1e309", "1E+6", "NaN", "Infinity", "-1.005", "0.000", "9" * 40,
    "2026-02-30", "0000-01-01", "9999-12-31", "2026-12-01T24:00:00+08:00", "2026-12-01T09:00:00",
    "2026-12-01T09:00:00Z", "2026-12-01T09:00:00+25:00", "-2026-12-01T09:00:00+08:00", "2026-W49-1",
    "６４０２２１１９８５０３１５００１８", "640221198503150018\u200b", "64022119850315001X", "x" * 5000,
    "王\u0301", "\U0001F600", "MORTGAGE_FIRST", "RESIDENT_ID", "CNY", "USD", "LOAN_CONTRACT",
])
XML_TEXT = st.one_of(AWKWARD, st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60))


# ------------------------------------------------------------------ the XML adapter

def _read(data: bytes) -> CanonicalApplication | None:
    """What intake does before the signature, then what it does with the signed root."""
    try:
        root = parse_xml(data, max_bytes=MAX_BYTES)
        ADAPTER.validate(root)
        return ADAPTER.to_canonical(root)
    except PARSER_REFUSALS + (AdapterError,):
        return None


@st.composite
def mutated_documents(draw) -> bytes:
    """An example application with one to three of its elements changed, moved, copied or dropped."""
    root = etree.fromstring(draw(st.sampled_from(EXAMPLE_DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        elements = list(root.iter(tag=etree.Element))
        element = draw(st.sampled_from(elements))
        action = draw(st.sampled_from(["text", "text", "text", "drop", "copy", "attribute", "child", "swap"]))
        parent = element.getparent()
        if action == "text":
            element.text = draw(XML_TEXT)
        elif action == "drop" and parent is not None:
            parent.remove(element)
        elif action == "copy" and parent is not None:
            element.addnext(copy.deepcopy(element))
        elif action == "attribute":
            element.set(draw(st.sampled_from(["currency", "version", "Id", "x"])), draw(XML_TEXT))
        elif action == "child":
            etree.SubElement(element, draw(st.sampled_from([e.tag for e in elements])))
        elif action == "swap" and parent is not None and element.getnext() is not None:
            element.getnext().addnext(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@BOUNDED
@given(mutated_documents())
def test_a_mutated_document_is_read_or_refused_with_a_documented_error(data):
    application = _read(data)
    event("read" if application is not None else "refused")

    assert application is None or isinstance(application, CanonicalApplication)


@BOUNDED
@given(st.sampled_from(EXAMPLE_DOCUMENTS), st.data())
def test_arbitrary_bytes_spliced_into_a_document_are_read_or_refused(document, data):
    start = data.draw(st.integers(0, len(document)))
    end = data.draw(st.integers(start, min(len(document), start + 40)))
    spliced = document[:start] + data.draw(st.binary(max_size=40)) + document[end:]

    application = _read(spliced)

    assert application is None or isinstance(application, CanonicalApplication)


@BOUNDED
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_with_a_documented_error(data):
    assert _read(data) is None


PARTIES = st.builds(Party, name=XML_TEXT, id_type=st.sampled_from(IdType), id_number=XML_TEXT)
INSTITUTIONS = st.builds(Mortgagee, code=XML_TEXT, name=XML_TEXT)
AMOUNTS = st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                            min_value=Decimal("-1e12"), max_value=Decimal("1e15")))
DATES = st.one_of(st.none(), st.dates())


@st.composite
def written_applications(draw) -> CanonicalApplication:
    """An example application with one or two of the fields a bank fills in set to arbitrary values."""
    app = draw(st.sampled_from(EXAMPLES))
    replacements = {
        "request_id": XML_TEXT,
        "created_at": st.datetimes(timezones=st.just(timezone(timedelta(hours=8)))),
        "mortgagee": INSTITUTIONS,
        "mortgagors": st.lists(PARTIES, min_size=1, max_size=3).map(tuple),
        "debtor": st.one_of(st.none(), PARTIES),
        "unit_code": XML_TEXT,
        "secured_amount": AMOUNTS,
        "loan_contract_no": st.one_of(st.none(), XML_TEXT),
        "mortgage_contract_no": st.one_of(st.none(), XML_TEXT),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(replacements)), min_size=1, max_size=2, unique=True))
    return dataclasses.replace(app, **{name: draw(replacements[name]) for name in chosen})


@BOUNDED
@given(written_applications())
def test_what_the_adapter_writes_it_reads_back_unchanged(app):
    try:
        root = ADAPTER.from_canonical(app)
    except AdapterError:
        event("refused when writing")
        return  # a value the format cannot carry is refused with its violations, never written
    event("written")
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    assert _read(data) == app


# ------------------------------------------------------------------ the pre-review rules

ANY_TEXT = st.one_of(AWKWARD, st.text(max_size=40))
ANY_PARTY = st.builds(Party, name=ANY_TEXT, id_type=st.sampled_from(IdType), id_number=ANY_TEXT)
ANY_INSTITUTION = st.builds(Mortgagee, code=ANY_TEXT, name=ANY_TEXT)
ANY_AMOUNT = st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False))


@st.composite
def arbitrary_applications(draw) -> tuple[CanonicalApplication, object]:
    """A clean scenario of any type, then any of its fields replaced by an arbitrary value."""
    registration_type = draw(st.sampled_from(RegistrationType))
    app, register = prereview.scenario(registration_type)
    replacements = {
        "unit_code": ANY_TEXT,
        "mortgagee": ANY_INSTITUTION,
        "mortgagors": st.lists(ANY_PARTY, max_size=4).map(tuple),
        "debtor": st.one_of(st.none(), ANY_PARTY),
        "secured_amount": ANY_AMOUNT,
        "maximum_claim_amount": ANY_AMOUNT,
        "currency": ANY_TEXT,
        "debt_start": DATES, "debt_end": DATES, "claim_period_start": DATES, "claim_period_end": DATES,
        "referenced_certificate_no": st.one_of(st.none(), ANY_TEXT),
        "changes": st.lists(st.builds(ChangeItem, field=st.sampled_from(ChangeField), new_value=ANY_TEXT),
                            max_size=4).map(tuple),
        "transferee": st.one_of(st.none(), ANY_INSTITUTION),
        "discharge_reason": st.one_of(st.none(), st.sampled_from(DischargeReason)),
        "construction_permit_no": st.one_of(st.none(), ANY_TEXT),
        "special_circumstances": st.lists(st.sampled_from(SpecialCircumstance), max_size=3).map(tuple),
        "link": st.one_of(st.none(), st.builds(LinkRef, group_id=ANY_TEXT, position=st.integers(-3, 30),
                                               size=st.integers(-3, 30))),
        "materials": st.lists(st.builds(MaterialRef, type_code=ANY_TEXT, file_name=ANY_TEXT, sha256=ANY_TEXT),
                              max_size=4).map(tuple),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(replacements)), min_size=1, max_size=6, unique=True))
    return dataclasses.replace(app, **{name: draw(replacements[name]) for name in chosen}), register


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=arbitrary_applications())
def test_a_rule_never_fails_on_arbitrary_values_and_reports_only_its_declared_codes(rule, case):
    app, register = case

    findings = rule.check(app, register)  # straight to the rule: run_prereview would hide a crash

    declared = {kind.code: kind.severity for kind in rule.emits}
    for finding in findings:
        assert finding.code in KINDS and finding.code in declared, finding.code
        assert finding.severity == declared[finding.code]
