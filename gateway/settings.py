"""The one reader of the environment: every setting, its default and its meaning.

Each field is read from an environment variable named ``GATEWAY_<FIELD>`` (upper case), or
from a ``.env`` file in the working directory. ``docs/operations.md`` lists them.
"""
from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TaskMode(enum.StrEnum):
    """How background work runs."""

    INPROCESS = "inprocess"  # embedded default: a thread in the API process
    CELERY = "celery"  # production: Celery workers on Redis


class Settings(BaseSettings):
    """Gateway settings. Defaults give the embedded mode: SQLite, in-process tasks."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the embedded database and keys live.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means sqlite:///<data_dir>/gateway.db."
    )
    task_mode: TaskMode = Field(TaskMode.INPROCESS, description="inprocess or celery.")
    broker_url: str = Field("redis://127.0.0.1:6379/0", description="Celery broker (celery mode).")
    task_queue: str = Field(
        "gateway", description="Broker queue tasks are sent to and workers take them from (celery mode)."
    )

    signing_key_path: Path | None = Field(None, description="PEM private key the gateway signs with.")
    signing_cert_path: Path | None = Field(None, description="PEM certificate matching the key.")
    trust_anchors_path: Path | None = Field(
        None, description="PEM bundle of CA certificates institutions' certificates must chain to."
    )

    institution_keys_dir: Path | None = Field(
        None, description="Keys the gateway holds for web-channel institutions (<CODE>-key.pem, <CODE>-cert.pem); "
        "default: <data_dir>/institution-keys."
    )

    seal_key_path: Path | None = Field(None, description="PEM key of the registration authority's seal (电子印章).")
    seal_cert_path: Path | None = Field(None, description="PEM seal certificate (then its chain) signing certificates.")
    seal_trust_anchors_path: Path | None = Field(
        None, description="PEM CA(s) a seal signature must chain to on the verify page; default: the trust anchors."
    )
    timestamp_url: str | None = Field(None, description="RFC 3161 time-stamping authority for PDF signatures.")
    authority_name: str = Field("平罗县不动产登记中心", description="The registration authority printed on certificates.")

    created_at_window_seconds: int = Field(600, description="Allowed |CreatedAt - now| in seconds.")
    max_request_bytes: int = Field(1_048_576, description="Largest accepted application XML.")
    max_material_bytes: int = Field(20 * 1_048_576, description="Largest accepted material file.")
    body_idle_timeout_seconds: float = Field(
        10.0, description="A request body that stalls this long (no bytes) is refused with 408.")
    body_timeout_seconds: float = Field(120.0, description="A request body must arrive whole within this time.")
    http_signature_max_age_seconds: int = Field(300, description="Oldest accepted HTTP signature.")

    area_code: str = Field("640221", description="County area code, prefixes application numbers.")
    certificate_province: str = Field("宁", description="Province abbreviation on certificate numbers.")
    certificate_county: str = Field("平罗县", description="County name on certificate numbers.")
    mortgage_deadline_working_days: int = Field(5, description="Working days allowed for mortgage registrations.")
    other_deadline_working_days: int = Field(10, description="Working days allowed for other registrations (预告登记).")
    complex_extension_working_days: int = Field(
        10, description="Working days added when pre-review finds a complex case (survey, announcement, inheritance)."
    )
    at_risk_working_days: int = Field(1, description="An open application with this many working days left or fewer is at risk.")
    fee_residential_yuan: str = Field("80", description="Registration fee per residential case, yuan.")
    fee_non_residential_yuan: str = Field("550", description="Registration fee per non-residential case, yuan.")

    staff_token_secrets: list[str] = Field(
        default_factory=list,
        description="Secrets signing staff tokens, newest first; empty: one is generated into data_dir.",
    )
    staff_token_ttl_seconds: int = Field(8 * 3600, description="Lifetime of a staff token.")

    callback_max_attempts: int = Field(8, description="Tries before a callback is dead-lettered.")
    callback_backoff_base_seconds: float = Field(30.0, description="First retry delay; doubles.")
    callback_backoff_cap_seconds: float = Field(3600.0, description="Longest retry delay.")
    callback_timeout_seconds: float = Field(10.0, description="HTTP timeout of one callback POST.")
    sweep_interval_seconds: float = Field(5.0, description="How often due work is re-driven.")

    public_base_url: str = Field("http://127.0.0.1:8000", description="URL printed and linked.")
    api_threads: int = Field(
        16, description="Threads per API process for blocking work (database, signatures); requests beyond wait.")
    loop_lag_warn_ms: float = Field(
        200.0, description="Log a warning when the API's event loop wakes this much later than asked.")
    host: str = Field("127.0.0.1", description="Address `gateway serve` binds.")
    port: int = Field(8000, description="Port `gateway serve` binds.")

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'gateway.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` and pass it explicitly)."""
    return Settings()
