"""The register's tables: units, owners, mortgages (with their registrations) and encumbrances."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime, utcnow
from gateway.protection import EncryptedJSON, EncryptedText, blind_index


class PropertyUnit(Base):
    """A 不动产单元: parcel or apartment, with its 28-character unit code."""

    __tablename__ = "property_units"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(28), unique=True)
    location: Mapped[str] = mapped_column(EncryptedText("property_units.location"))  # 坐落: a home's address
    use: Mapped[str] = mapped_column(String(20))  # UnitUse
    state: Mapped[str] = mapped_column(String(20))  # UnitState
    needs_survey: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    owners: Mapped[list[UnitOwner]] = relationship(order_by="UnitOwner.id", back_populates="unit")


class UnitOwner(Base):
    """A recorded owner (权利人) of a unit with their share."""

    __tablename__ = "unit_owners"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("property_units.id"), index=True)
    name: Mapped[str] = mapped_column(EncryptedText("unit_owners.name"))
    id_type: Mapped[str] = mapped_column(String(20))
    id_number: Mapped[str] = mapped_column(EncryptedText("unit_owners.id_number"))
    # The keyed blind index of id_number (gateway.protection.blind_index): owners are found by it.
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    share: Mapped[str] = mapped_column(String(40))
    unit: Mapped[PropertyUnit] = relationship(back_populates="owners")

    @validates("id_number")
    def _index_id_number(self, _key: str, id_number: str) -> str:
        self.id_number_index = blind_index(id_number)
        return id_number


class RegisteredMortgage(Base):
    """A mortgage or mortgage pre-notice in the register, with its priority (顺位) on the unit.

    Priorities are unique among the in-force mortgages of a unit; discharged and converted
    entries keep theirs for history.
    """

    __tablename__ = "registered_mortgages"
    __table_args__ = (
        Index(
            "uq_registered_mortgages_in_force_priority", "unit_code", "priority", unique=True,
            postgresql_where=text("status = 'IN_FORCE'"), sqlite_where=text("status = 'IN_FORCE'"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(28), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # MortgageKind
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="IN_FORCE")  # MortgageStatus
    mortgagee_code: Mapped[str] = mapped_column(String(32), index=True)
    mortgagee_name: Mapped[str] = mapped_column(String(200))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    certificate_no: Mapped[str] = mapped_column(String(64), unique=True)  # the latest 不动产登记证明
    secured_amount: Mapped[Decimal | None] = mapped_column(Numeric(17, 2))
    maximum_claim_amount: Mapped[Decimal | None] = mapped_column(Numeric(17, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    debt_start: Mapped[date | None] = mapped_column(Date)
    debt_end: Mapped[date | None] = mapped_column(Date)
    claim_period_start: Mapped[date | None] = mapped_column(Date)
    claim_period_end: Mapped[date | None] = mapped_column(Date)
    mortgagor_id_numbers: Mapped[list[str]] = mapped_column(
        EncryptedJSON("registered_mortgages.mortgagor_id_numbers"), default=list)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # time of receipt: orders priority
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # discharged or converted
    entries: Mapped[list[RegistrationEntry]] = relationship(order_by="RegistrationEntry.id", back_populates="mortgage")


class RegistrationEntry(Base):
    """One registration (登簿) on a mortgage: first, change, transfer, discharge, conversion.

    Each entry has its own certificate number (不动产登记证明); a discharge's number is the
    one shown when the earlier certificate is verified as cancelled.
    """

    __tablename__ = "registration_entries"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    mortgage_id: Mapped[int] = mapped_column(ForeignKey("registered_mortgages.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), unique=True)
    registration_type: Mapped[str] = mapped_column(String(32))
    certificate_no: Mapped[str] = mapped_column(String(64), unique=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[dict | None] = mapped_column(EncryptedJSON("registration_entries.summary"))  # what changed
    mortgage: Mapped[RegisteredMortgage] = relationship(back_populates="entries")


class Encumbrance(Base):
    """A seizure (查封), objection (异议登记) or purchase pre-notice (预告登记) on a unit."""

    __tablename__ = "encumbrances"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(28), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # EncumbranceKind
    reference: Mapped[str] = mapped_column(String(100))  # court ruling no., certificate no.
    holder_name: Mapped[str | None] = mapped_column(EncryptedText("encumbrances.holder_name"))
    holder_id_number: Mapped[str | None] = mapped_column(EncryptedText("encumbrances.holder_id_number"))
    registered_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lifted_on: Mapped[date | None] = mapped_column(Date)


class CalendarYear(Base):
    """An operator-loaded official working-day schedule for a year the library does not know."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    schedule: Mapped[str] = mapped_column(String(20000))  # the JSON as loaded
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdentityOnFile(Base):
    """A party whose identity document the authority already holds (not asked for again), kept by the
    keyed blind index of the ID number (gateway.protection.blind_index), never the number itself."""

    __tablename__ = "identities_on_file"
    id_number_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
