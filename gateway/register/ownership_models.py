"""Tables of ownership transfers entered in the register (combined filing, 转移 + 抵押 合并办理).

The register's owners (``unit_owners``) always hold the current owners; each transfer keeps who
owned the unit before it and who bought it (encrypted: names and ID numbers), the contract, the
price, the 不动产权证书号 it issued and the mortgages carried over (带押过户).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime
from gateway.protection import EncryptedJSON


class OwnershipTransfer(Base):
    """One registered transfer of a unit's ownership by sale."""

    __tablename__ = "ownership_transfers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    unit_code: Mapped[str] = mapped_column(String(28), index=True)
    certificate_no: Mapped[str] = mapped_column(String(64), unique=True)  # 不动产权证书号 issued to the buyers
    # [{"name", "id_type", "id_number", "share"}] as the register held them before the transfer.
    former_owners: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJSON("ownership_transfers.former_owners"))
    buyers: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJSON("ownership_transfers.buyers"))
    sale_contract_no: Mapped[str] = mapped_column(String(64))
    sale_price: Mapped[Decimal | None] = mapped_column(Numeric(17, 2))
    carried_over: Mapped[list[str]] = mapped_column(JSON, default=list)  # certificate numbers of mortgages kept
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
