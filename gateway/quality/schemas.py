"""JSON shapes of the quality figures (docs/interface/quality.md)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from gateway.api.times import UtcTime
from gateway.quality.figures import InstitutionFigures, MonthlyFigures


class ApplicationsOut(BaseModel):
    received: int = Field(description="Applications received (accepted at intake) in the month.")
    by_registration_type: dict[str, int]
    by_channel: dict[str, int]
    by_triage: dict[str, int]


class IntakeRefusalsOut(BaseModel):
    refused: int = Field(description="Requests refused at intake in the month whose signer was identified as this "
                         "institution by its registered certificate.")
    by_code: dict[str, int] = Field(description="The refusals by their error code (docs/interface/errors.md).")
    refusing_findings: dict[str, int] = Field(
        description="Pre-review refusals (prereview.refused) by the codes of their REFUSE findings.")


class MaterialRequestedOut(BaseModel):
    type_code: str
    name_zh: str
    items: int = Field(description="Supplement request items asking for this material type.")
    avoidable_items: int


class SupplementRequestsOut(BaseModel):
    requested: int = Field(description="Supplement requests (补正通知) issued in the month.")
    items: int = Field(description="Their items (material types asked for).")
    by_material: list[MaterialRequestedOut]
    avoidable: int = Field(description="Supplement requests a correct first submission would have avoided.")
    avoidable_share: float | None = Field(description="avoidable ÷ requested, 4 decimals; null when none requested.")


class DecisionsOut(BaseModel):
    decided: int = Field(description="Applications decided (registered or rejected) in the month.")
    approved: int
    rejected: int
    median_hours: float | None = Field(description="Median hours from receipt to decision; null when none decided.")
    median_working_days: float | None = Field(
        description="Median working days after the day of acceptance through the day of decision.")


class InstitutionQualityOut(BaseModel):
    institution_code: str
    institution_name: str
    applications: ApplicationsOut
    intake_refusals: IntakeRefusalsOut
    supplement_requests: SupplementRequestsOut
    decisions: DecisionsOut

    @classmethod
    def of(cls, f: InstitutionFigures) -> InstitutionQualityOut:
        return cls(
            institution_code=f.institution_code, institution_name=f.institution_name,
            applications=ApplicationsOut(received=f.applications, by_registration_type=f.applications_by_type,
                                         by_channel=f.applications_by_channel, by_triage=f.applications_by_triage),
            intake_refusals=IntakeRefusalsOut(refused=f.refusals, by_code=f.refusals_by_code,
                                              refusing_findings=f.refusing_findings),
            supplement_requests=SupplementRequestsOut(
                requested=f.supplement_requests, items=f.supplement_items, avoidable=f.avoidable_supplement_requests,
                avoidable_share=f.avoidable_share,
                by_material=[MaterialRequestedOut(type_code=m.type_code, name_zh=m.name_zh, items=m.items,
                                                  avoidable_items=m.avoidable_items) for m in f.supplement_by_material]),
            decisions=DecisionsOut(decided=f.decided, approved=f.approved, rejected=f.rejected,
                                   median_hours=f.median_hours_to_decision,
                                   median_working_days=f.median_working_days_to_decision),
        )


class PeriodOut(BaseModel):
    month: str = Field(description="YYYY-MM, a calendar month in Beijing time.")
    period_start: UtcTime
    period_end: UtcTime
    complete: bool = Field(description="False while the month is still running: its figures can still grow.")
    computed_at: UtcTime


class QualityFiguresOut(PeriodOut, InstitutionQualityOut):
    """One institution's month."""

    @classmethod
    def of_month(cls, month: MonthlyFigures) -> QualityFiguresOut:
        (figures,) = month.institutions
        return cls(**_period(month), **InstitutionQualityOut.of(figures).model_dump())


class SupervisionQualityOut(PeriodOut):
    """Every institution with anything in the month, and the refusals nobody could be identified for."""

    institutions: list[InstitutionQualityOut]
    unattributed_refusals: dict[str, int] = Field(
        description="Refusals whose signer was not identified by a registered certificate, by code.")

    @classmethod
    def of_month(cls, month: MonthlyFigures) -> SupervisionQualityOut:
        return cls(**_period(month), institutions=[InstitutionQualityOut.of(f) for f in month.institutions],
                   unattributed_refusals=month.unattributed_refusals)


def _period(month: MonthlyFigures) -> dict:
    return {"month": str(month.month), "period_start": month.start, "period_end": month.end,
            "complete": month.complete, "computed_at": month.computed_at}
