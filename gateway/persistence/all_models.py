"""Imports every model module so that the metadata is complete (Alembic, tests)."""
from gateway.persistence import models  # noqa: F401
from gateway.register import models as register_models  # noqa: F401
from gateway.certificates import models as certificate_models  # noqa: F401
from gateway.audit import models as audit_models  # noqa: F401
from gateway.inbox import models as inbox_models  # noqa: F401
from gateway.watch import models as watch_models  # noqa: F401
from gateway.batches import models as batch_models  # noqa: F401
from gateway.quality import models as quality_models  # noqa: F401
from gateway.departments import models as department_models  # noqa: F401
from gateway.registration_events import models as registration_event_models  # noqa: F401
from gateway.department_records import models as department_record_models  # noqa: F401
from gateway.register import ownership_models  # noqa: F401
from gateway.persistence.models import Base

__all__ = ["Base"]
