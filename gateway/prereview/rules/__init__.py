"""The ordered registry of pre-review rules and the registration types each applies to.

Order is the order of the one-time notice: the unit first, then what weighs on it, the
parties, the terms, and the materials last. Each rule declares the finding codes it may
emit, so the published table (docs/rules.md) says which rule reports what.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bank_adapters.canonical import CanonicalApplication, RegistrationType
from gateway.prereview import codes as c
from gateway.prereview.findings import Finding, FindingKind
from gateway.prereview.rules import amounts, change, circumstances, encumbrances, materials, mortgage, parties, unit
from gateway.prereview.rules import transfer_discharge as td
from gateway.prereview.rules import ownership
from gateway.prereview.rules import department_records
from gateway.prereview.rules.common import ACTING_ON_MORTGAGE, ALL_TYPES, CREATING, GENERAL_TERMS, T
from gateway.register.view import RegisterView

RuleCheck = Callable[[CanonicalApplication, RegisterView], list[Finding]]


@dataclass(frozen=True)
class Rule:
    check: RuleCheck
    types: frozenset[RegistrationType]
    emits: tuple[FindingKind, ...]

    @property
    def name(self) -> str:
        return self.check.__name__

    def applies_to(self, registration_type: RegistrationType) -> bool:
        return registration_type in self.types


def _types(*members: RegistrationType) -> frozenset[RegistrationType]:
    return frozenset(members)


RULES: tuple[Rule, ...] = (
    Rule(unit.unit_code_shape, ALL_TYPES, (c.UNIT_CODE_MALFORMED,)),
    Rule(unit.unit_exists_in_fitting_state, ALL_TYPES, (c.UNIT_NOT_FOUND, c.UNIT_STATE_MISMATCH)),
    Rule(unit.purchase_pre_notice_registered, _types(T.PRE_NOTICE_MORTGAGE), (c.UNIT_NO_PURCHASE_PRE_NOTICE,)),
    Rule(encumbrances.unit_not_seized, ALL_TYPES, (c.UNIT_SEIZED, c.UNIT_SEIZED_REVIEW)),
    Rule(encumbrances.objection_acknowledged, CREATING | {T.MORTGAGE_CHANGE, T.OWNERSHIP_TRANSFER},
         (c.UNIT_OBJECTION, c.UNIT_OBJECTION_UNDERTAKING_MISSING)),
    Rule(encumbrances.no_conflicting_pre_notice, CREATING | {T.OWNERSHIP_TRANSFER},
         (c.UNIT_CONFLICTING_PRE_NOTICE, c.UNIT_PRE_NOTICE_HOLDER_CONSENTED, c.UNIT_PRE_NOTICE_HOLDER_UNKNOWN)),
    Rule(parties.mortgagors_are_owners, CREATING,
         (c.UNIT_OWNERS_UNKNOWN, c.MORTGAGORS_MISSING, c.MORTGAGORS_DUPLICATE, c.MORTGAGORS_NOT_OWNERS,
          c.MORTGAGORS_OWNER_MISSING, c.MORTGAGORS_NAME_DIFFERS)),
    Rule(parties.debtor_given, CREATING, (c.DEBTOR_MISSING,)),
    Rule(parties.party_id_numbers, ALL_TYPES,
         (c.PARTY_ID_MISSING, c.PARTY_ID_MALFORMED, c.PARTY_ID_CHECK_DIGIT, c.PARTY_ID_BIRTH_DATE_INVALID,
          c.PARTY_ID_REGION_UNKNOWN, c.PARTY_CREDIT_CODE_MALFORMED, c.PARTY_CREDIT_CODE_CHECK_DIGIT)),
    Rule(parties.institution_credit_codes, ALL_TYPES,
         (c.MORTGAGEE_CREDIT_CODE_MALFORMED, c.MORTGAGEE_CREDIT_CODE_CHECK_DIGIT,
          c.TRANSFEREE_CREDIT_CODE_MALFORMED, c.TRANSFEREE_CREDIT_CODE_CHECK_DIGIT)),
    Rule(mortgage.referenced_mortgage_held_by_applicant, ACTING_ON_MORTGAGE,
         (c.MORTGAGE_REFERENCE_MISSING, c.MORTGAGE_NOT_FOUND, c.MORTGAGE_NOT_IN_FORCE, c.MORTGAGE_NOT_APPLICANTS)),
    Rule(mortgage.change_mortgagors_apply, _types(T.MORTGAGE_CHANGE), (c.MORTGAGE_MORTGAGORS_DIFFER,)),
    Rule(mortgage.conversion_of_pre_notice, _types(T.PRE_NOTICE_CONVERSION),
         (c.CONVERSION_NOT_PRE_NOTICE, c.CONVERSION_TERMS_DIFFER)),
    Rule(mortgage.pre_notice_not_duplicated, _types(T.MORTGAGE_FIRST, T.MORTGAGE_FIRST_MAXIMUM),
         (c.MORTGAGE_PRE_NOTICE_NOT_CONVERTED,)),
    Rule(mortgage.existing_mortgages_noted,
         _types(T.MORTGAGE_FIRST, T.MORTGAGE_FIRST_MAXIMUM, T.CONSTRUCTION_MORTGAGE, T.PRE_NOTICE_MORTGAGE),
         (c.UNIT_EXISTING_MORTGAGES,)),
    Rule(amounts.general_amount_and_period, GENERAL_TERMS,
         (c.AMOUNT_MISSING, c.AMOUNT_NOT_POSITIVE, c.AMOUNT_PRECISION, c.PERIOD_MISSING, c.PERIOD_INVALID,
          c.AMOUNT_MAXIMUM_ON_GENERAL)),
    Rule(amounts.maximum_amount_and_claim_period, _types(T.MORTGAGE_FIRST_MAXIMUM),
         (c.AMOUNT_MAXIMUM_MISSING, c.AMOUNT_NOT_POSITIVE, c.AMOUNT_PRECISION, c.AMOUNT_SECURED_ON_MAXIMUM,
          c.CLAIM_PERIOD_MISSING, c.CLAIM_PERIOD_INVALID, c.PERIOD_INVALID)),
    Rule(amounts.currency_is_cny, CREATING, (c.AMOUNT_CURRENCY_MALFORMED, c.AMOUNT_FOREIGN_CURRENCY)),
    Rule(change.change_values_parse, _types(T.MORTGAGE_CHANGE),
         (c.CHANGE_EMPTY, c.CHANGE_DUPLICATE_FIELD, c.CHANGE_VALUE_INVALID)),
    Rule(change.change_fits_mortgage, _types(T.MORTGAGE_CHANGE),
         (c.CHANGE_FIELD_NOT_APPLICABLE, c.PERIOD_INVALID, c.CLAIM_PERIOD_INVALID, c.CHANGE_PRIORITY_OUT_OF_RANGE)),
    Rule(change.change_harms_later_mortgagees, _types(T.MORTGAGE_CHANGE), (c.CHANGE_HARMS_LATER_MORTGAGEES,)),
    Rule(td.transferee_given, _types(T.MORTGAGE_TRANSFER),
         (c.TRANSFER_TRANSFEREE_MISSING, c.TRANSFER_TRANSFEREE_IS_APPLICANT)),
    Rule(td.discharge_reason_given, _types(T.MORTGAGE_DISCHARGE),
         (c.DISCHARGE_REASON_MISSING, c.DISCHARGE_COURT_DOCUMENT_MISSING)),
    Rule(td.construction_permit_given, _types(T.CONSTRUCTION_MORTGAGE), (c.CONSTRUCTION_PERMIT_NO_MISSING,)),
    Rule(ownership.transfer_is_combined, _types(T.OWNERSHIP_TRANSFER), (c.TRANSFER_NOT_LINKED,)),
    Rule(ownership.sellers_are_owners, _types(T.OWNERSHIP_TRANSFER),
         (c.TRANSFER_SELLERS_MISSING, c.TRANSFER_SELLERS_NOT_OWNERS, c.TRANSFER_OWNER_NOT_SELLING)),
    Rule(ownership.buyers_are_the_mortgagors, _types(T.OWNERSHIP_TRANSFER),
         (c.TRANSFER_BUYERS_MISSING, c.TRANSFER_MORTGAGORS_NOT_BUYERS)),
    Rule(ownership.sale_terms_given, _types(T.OWNERSHIP_TRANSFER),
         (c.TRANSFER_SALE_CONTRACT_MISSING, c.TRANSFER_SALE_PRICE_MISSING)),
    Rule(ownership.carried_over_mortgages_consented, _types(T.OWNERSHIP_TRANSFER),
         (c.TRANSFER_MORTGAGEE_CONSENT_MISSING,)),
    Rule(ownership.mortgage_filed_with_its_transfer, _types(T.MORTGAGE_FIRST, T.MORTGAGE_FIRST_MAXIMUM),
         (c.TRANSFER_MORTGAGE_NOT_COMBINED,)),
    Rule(department_records.tax_record_matches, _types(T.OWNERSHIP_TRANSFER),
         (c.TAX_RECORD_MISSING, c.TAX_RECORD_MISMATCH)),
    Rule(department_records.contract_filed, _types(T.PRE_NOTICE_MORTGAGE),
         (c.CONTRACT_NOT_FILED, c.CONTRACT_BUYERS_DIFFER)),
    Rule(circumstances.special_circumstances, ALL_TYPES,
         (c.COMPLEX_SURVEY_REQUIRED, c.COMPLEX_ANNOUNCEMENT_REQUIRED, c.COMPLEX_UNNOTARISED_INHERITANCE)),
    Rule(circumstances.unit_needs_survey, ALL_TYPES, (c.UNIT_NEEDS_SURVEY,)),
    Rule(circumstances.no_earlier_pending, ALL_TYPES, (c.APPLICATION_EARLIER_PENDING,)),
    Rule(circumstances.link_is_consistent, ALL_TYPES, (c.LINK_INVALID,)),
    Rule(materials.materials_complete, ALL_TYPES,
         (c.MATERIALS_MISSING, c.MATERIALS_TAKEN_FROM_FILE, c.MATERIALS_NOT_IN_CATALOGUE)),
)


def rules_for(registration_type: RegistrationType) -> tuple[Rule, ...]:
    """The rules that apply to one registration type, in notice order."""
    return tuple(rule for rule in RULES if rule.applies_to(registration_type))
