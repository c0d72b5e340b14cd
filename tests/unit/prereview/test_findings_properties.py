"""Properties over many generated cases: no personal data in any finding, every code documented.

The cases are generated from a fixed seed (reproducible): every registration type, parties with
valid and broken identifiers, owners and pre-notice holders who may or may not apply, seizures,
objections, existing mortgages, name changes carrying new names, random materials.
"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bank_adapters.canonical import ChangeField, ChangeItem, IdType, LinkRef, Party, SpecialCircumstance
from gateway.catalogue.materials import MATERIALS
from gateway.prereview.findings import KINDS
from gateway.prereview.rules import rules_for
from gateway.register.view import EncumbranceKind, MortgageKind, MortgageStatus, RegisterView, UnitState
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T

SURNAMES = "王李张刘陈杨赵黄周吴马"
GIVEN = ("建国", "秀梅", "志强", "晓燕", "海涛", "桂兰", "玉珍", "国平", "子涵", "梓萱")
CASES = 600


def _person(rng: random.Random) -> Party:
    birth = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
    first17 = f"640221{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    number = f.resident_id(first17)
    spoil = rng.random()
    if spoil < 0.15:
        number = f.wrong_check_digit(number)
    elif spoil < 0.2:
        number = number[:17]
    return Party(rng.choice(SURNAMES) + rng.choice(GIVEN), IdType.RESIDENT_ID, number)


def _register(rng: random.Random, people: list[Party], state: UnitState) -> RegisterView:
    owners = rng.sample(people, rng.randint(0, 2))
    kinds = [EncumbranceKind.SEIZURE, EncumbranceKind.OBJECTION, EncumbranceKind.PURCHASE_PRE_NOTICE]
    encumbrances = tuple(
        f.encumbrance(kind, holder=rng.choice(people + [None]) if kind is EncumbranceKind.PURCHASE_PRE_NOTICE else None,
                      active=rng.random() < 0.7)
        for kind in kinds if rng.random() < 0.3
    )
    mortgages = tuple(
        f.mortgage(priority=p, kind=rng.choice(list(MortgageKind)), status=rng.choice(list(MortgageStatus)),
                   certificate_no=f.CERTIFICATE_NO if p == 1 else f"{f.LATER_CERTIFICATE_NO}{p}",
                   mortgagee_code=rng.choice([f.BANK.code, f.OTHER_BANK.code]),
                   secured_amount=rng.choice([None, Decimal("500000.00")]),
                   mortgagor_id_numbers=tuple(o.id_number for o in owners))
        for p in range(1, rng.randint(1, 3))
    )
    unit = None if rng.random() < 0.1 else f.unit(state, needs_survey=rng.random() < 0.1)
    return RegisterView(unit=unit, owners=f.owners(*owners), mortgages=mortgages, encumbrances=encumbrances,
                        held_materials=frozenset(rng.sample(sorted(MATERIALS), rng.randint(0, 3))),
                        earlier_pending=rng.choice([0, 0, 1]))


def _case(rng: random.Random):
    registration_type = rng.choice(list(T))
    app, _ = f.scenario(registration_type)
    people = [_person(rng) for _ in range(3)]
    mortgagors = tuple(rng.sample(people, rng.randint(0, 3)))
    if mortgagors and rng.random() < 0.15:  # the same person twice, the second time under another name
        mortgagors += (replace(mortgagors[0], name=rng.choice(SURNAMES) + rng.choice(GIVEN)),)
    if mortgagors and rng.random() < 0.15:  # a recorded owner whose name is spelt differently
        mortgagors = (replace(mortgagors[0], name=mortgagors[0].name + "某"),) + mortgagors[1:]
    changes = tuple(ChangeItem(field, value) for field, value in [
        (ChangeField.MORTGAGOR_NAME, people[0].name), (ChangeField.SECURED_AMOUNT, rng.choice(["2000000", "x"])),
        (ChangeField.PRIORITY, rng.choice(["1", "9"])), (ChangeField.DEBT_END, "2050-01-01"),
    ] if rng.random() < 0.4)
    app = replace(
        app, mortgagors=mortgagors, debtor=rng.choice(people + [None]), changes=changes,
        materials=f.materials(*rng.sample(sorted(MATERIALS), rng.randint(0, 6))),
        referenced_certificate_no=rng.choice([f.CERTIFICATE_NO, None, "宁(2025)平罗县不动产证明第0000999号"]),
        transferee=rng.choice([f.OTHER_BANK, f.BANK, None]),
        secured_amount=rng.choice([None, Decimal("-1"), Decimal("9.999"), Decimal("800000")]),
        debt_end=rng.choice([date(2020, 1, 1), date(2046, 1, 1), None]),
        special_circumstances=tuple(c for c in SpecialCircumstance if rng.random() < 0.1),
        link=rng.choice([None, LinkRef("ZHL-1", rng.randint(0, 3), rng.randint(1, 3))]),
        sellers=tuple(rng.sample(people, rng.randint(0, 3))), buyers=tuple(rng.sample(people, rng.randint(0, 2))),
    )
    register = _register(rng, people, rng.choice(list(UnitState)))
    return app, register, people


def _cases():
    rng = random.Random(20261201)
    return [_case(rng) for _ in range(CASES)]


@pytest.fixture(scope="module")
def generated():
    """(application, register, people, [(rule, findings)]) for every generated case."""
    return [(app, reg, people, [(rule, rule.check(app, reg)) for rule in rules_for(app.registration_type)])
            for app, reg, people in _cases()]


def _personal_data(app, register, people) -> set[str]:
    parties = [*people, *app.mortgagors, *([app.debtor] if app.debtor else []), *app.sellers, *app.buyers]
    texts = {p.name for p in parties} | {p.id_number for p in parties}
    texts |= {o.name for o in register.owners} | {o.id_number for o in register.owners}
    for holder in register.encumbrances:
        texts |= {holder.holder_name or "", holder.holder_id_number or ""}
    texts |= {c.new_value for c in app.changes if c.field is ChangeField.MORTGAGOR_NAME}
    return {t for t in texts if t}


def test_no_finding_message_or_hint_contains_a_name_or_an_id_number(generated):
    for app, register, people, results in generated:
        secrets = _personal_data(app, register, people)
        for _rule, findings in results:
            for finding in findings:
                text = finding.message_zh + finding.hint + (finding.field or "")
                assert not [s for s in secrets if s and s in text], (finding, app.registration_type)


def test_every_finding_is_declared_by_its_rule_with_the_documented_severity(generated):
    for _app, _register, _people, results in generated:
        for rule, findings in results:
            for finding in findings:
                kind = KINDS[finding.code]
                assert kind in rule.emits, (rule.name, finding.code)
                assert finding.severity == kind.severity


def test_the_generated_cases_reach_the_findings_about_parties(generated):
    """Guards the privacy property against passing vacuously."""
    seen = {finding.code for *_, results in generated for _rule, findings in results for finding in findings}
    about_parties = {"mortgagors.not_owners", "mortgagors.owner_missing", "mortgagors.duplicate",
                     "mortgagors.missing", "mortgagors.name_differs", "party.id_check_digit", "party.id_malformed",
                     "debtor.missing",
                     "unit.conflicting_pre_notice", "unit.pre_notice_holder_unknown", "mortgage.mortgagors_differ",
                     "change.value_invalid", "change.harms_later_mortgagees_without_consent", "unit.seized",
                     "mortgage.not_applicants", "materials.missing",
                     "transfer.sellers_not_owners", "transfer.owner_not_selling", "transfer.mortgagors_not_buyers"}
    assert about_parties <= seen, about_parties - seen
