"""The one reader of the environment: every setting, its default and its meaning.

Each field is read from an environment variable named ``GATEWAY_<FIELD>`` (upper case), or
from a ``.env`` file in the working directory. ``docs/operations.md`` lists them.
"""
from __future__ import annotations

import enum
import ipaddress
import json
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

STAFF_ROLES = ("clerk", "reviewer", "supervisor", "admin")  # gateway.staff.service.Role, without the import


class TaskMode(enum.StrEnum):
    """How background work runs."""

    INPROCESS = "inprocess"  # embedded default: a thread in the API process
    CELERY = "celery"  # production: Celery workers on Redis


class LogFormat(enum.StrEnum):
    """How log lines are written (docs/operations.md, "Logs")."""

    TEXT = "text"  # one readable line per event
    JSON = "json"  # one JSON object per line, for a log collector


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
    timestamp_url: str | None = Field(
        None, description="RFC 3161 time-stamping authority for PDF signatures and audit checkpoints.")
    audit_checkpoint_entries: int = Field(
        1000, ge=1, description="A signed audit checkpoint after this many new audit entries (checked every sweep).")
    audit_checkpoint_minutes: float = Field(
        60.0, gt=0, description="A signed audit checkpoint at least this often while new audit entries come in.")
    authority_name: str = Field("平罗县不动产登记中心", description="The registration authority printed on certificates.")

    created_at_window_seconds: int = Field(600, description="Allowed |CreatedAt - now| in seconds.")
    max_request_bytes: int = Field(1_048_576, description="Largest accepted application XML.")
    max_material_bytes: int = Field(20 * 1_048_576, description="Largest accepted material file.")
    max_batch_bytes: int = Field(256 * 1_048_576, description="Largest accepted batch bundle (the ZIP as sent).")
    max_batch_items: int = Field(20_000, ge=1, description="Most items (applications) in one batch bundle.")
    max_batch_expanded_bytes: int = Field(
        512 * 1_048_576, description="Most bytes a batch bundle's entries may expand to, all together.")
    max_batch_compression_ratio: int = Field(
        100, ge=1, description="Most a batch bundle, or one of its entries over 1 MiB, may expand (uncompressed / compressed).")
    body_idle_timeout_seconds: float = Field(
        10.0, description="A request body that stalls this long (no bytes) is refused with 408.")
    body_timeout_seconds: float = Field(120.0, description="A request body must arrive whole within this time.")
    http_signature_max_age_seconds: int = Field(300, description="Oldest accepted HTTP signature.")
    department_queries_per_minute: int = Field(
        120, ge=1, description="Answered queries a department may make in any 60 seconds (counted in the database).")
    family_max_children: int = Field(4, ge=0, description="Most minor children in a family-housing query.")

    area_code: str = Field("640221", description="County area code, prefixes application numbers.")
    certificate_province: str = Field("宁", description="Province abbreviation on certificate numbers.")
    certificate_county: str = Field("平罗县", description="County name on certificate numbers.")
    mortgage_deadline_working_days: int = Field(5, description="Working days allowed for mortgage registrations.")
    other_deadline_working_days: int = Field(10, description="Working days allowed for other registrations (预告登记).")
    office_cutoff: time = Field(
        time(17, 30), description="Local time (Asia/Shanghai) the office stops accepting for the day.")
    after_hours_next_working_day: bool = Field(
        True, description="A submission on a non-working day or after the cut-off is accepted the next working day.")
    complex_extension_working_days: int = Field(
        10, description="Working days added when pre-review finds a complex case (survey, announcement, inheritance)."
    )
    max_extension_working_days: int = Field(
        20, ge=0, description="Most working days all extensions of one application may add up to (pre-review's "
        "complex-case extension included); 20 keeps every type within the 30 working days of 不动产登记暂行条例 §20."
    )
    supplement_response_working_days: int = Field(
        15, ge=1, le=60, description="Working days an institution has to answer a supplement request (补正), counted "
        "from the day of the request; the date is stated in the signed request (Supplement/RespondBy).")
    at_risk_working_days: int = Field(1, description="An open application with this many working days left or fewer is at risk.")
    certificate_expiry_warning_days: int = Field(
        30, ge=0, description="An institution certificate expiring within this many days is flagged (admin page, CLI, /metrics).")
    fee_residential_yuan: str = Field("80", description="Registration fee per residential case, yuan.")
    fee_non_residential_yuan: str = Field("550", description="Registration fee per non-residential case, yuan.")

    staff_token_secrets: list[str] = Field(
        default_factory=list,
        description="Secrets signing staff tokens, newest first; empty: one is generated into data_dir.",
    )
    staff_token_ttl_seconds: int = Field(8 * 3600, description="Lifetime of a staff token.")
    inbox_cursor_secrets: list[str] = Field(
        default_factory=list,
        description="Secrets authenticating inbox cursors, newest first (all accepted); empty: one is generated "
        "into data_dir/keys/inbox-cursor-secret. API processes that do not share data_dir need the same list.",
    )
    data_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Keys encrypting personal data, newest (current) first: id1:base64key,id2:base64key; "
        "empty: key files in data_keys_dir, the first generated on first start.",
    )
    data_keys_dir: Path | None = Field(
        None, description="Directory of data key files (<key id>.key, and `current`); default: <data_dir>/keys/data-keys.")
    blind_index_key: str = Field(
        "", description="Base64 HMAC key of the ID-number blind indexes; empty: the file blind_index_key_path.")
    blind_index_key_path: Path | None = Field(
        None, description="File of the blind-index key, generated on first start; default: <data_dir>/keys/blind-index.key.")
    master_key_path: Path | None = Field(
        None, description="File of a master key (base64, 32 bytes) wrapping the data and blind-index keys (AES key wrap).")
    require_totp: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Staff roles that must use a TOTP second factor (JSON list or comma-separated, e.g. admin,reviewer).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies (IPs or CIDRs) whose X-Forwarded-For / Forwarded headers name the client.",
    )

    callback_max_attempts: int = Field(8, description="Tries before a callback is dead-lettered.")
    callback_backoff_base_seconds: float = Field(30.0, description="First retry delay; doubles.")
    callback_backoff_cap_seconds: float = Field(3600.0, description="Longest retry delay.")
    callback_timeout_seconds: float = Field(10.0, description="HTTP timeout of one callback POST.")
    sweep_interval_seconds: float = Field(5.0, description="How often due work is re-driven.")

    public_base_url: str = Field(
        "", description="The gateway's URL as institutions and certificate holders reach it: printed, linked, and in "
        "certificates' VerifyUrl; empty: http://<host>:<port> of `gateway serve` (127.0.0.1 for 0.0.0.0 or ::).")
    api_threads: int = Field(
        16, description="Threads per API process for blocking work (database, signatures); requests beyond wait.")
    intake_check_threads: int = Field(
        2, ge=1, description="Submissions whose signature and schema checks run at once in one API process; "
        "more wait their turn on the event loop. The checks are CPU-bound and Python runs one thread at a time, "
        "so more only lengthen every submission and the writing step's turn.")
    loop_lag_warn_ms: float = Field(
        200.0, description="Log a warning when the API's event loop wakes this much later than asked.")
    log_format: LogFormat = Field(LogFormat.TEXT, description="Log lines as text or json (one object per line).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Least severe level logged by the gateway, uvicorn and Celery.")
    host: str = Field("127.0.0.1", description="Address `gateway serve` binds.")
    port: int = Field(8000, description="Port `gateway serve` binds.")

    @field_validator("require_totp", "trusted_proxies", "data_keys", mode="before")
    @classmethod
    def _list_from_text(cls, value: object) -> object:
        """An environment variable may hold a JSON list or comma-separated values."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("require_totp")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        unknown = [role for role in roles if role not in STAFF_ROLES]
        if unknown:
            raise ValueError(f"unknown staff roles {unknown}; the roles are {', '.join(STAFF_ROLES)}")
        return roles

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            ipaddress.ip_network(proxy, strict=False)  # a ValueError names the bad entry
        return proxies

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'gateway.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    # Whether public_base_url was derived from host and port (and so follows them in ``serving``).
    _derived_public_url: bool = PrivateAttr(False)

    def model_post_init(self, context: object, /) -> None:
        if not self.public_base_url:
            self.public_base_url = served_url(self.host, self.port)
            self._derived_public_url = True

    def serving(self, *, host: str, port: int) -> Settings:
        """These settings for the address `gateway serve` actually binds (``--host``/``--port``):
        a public URL that was not configured follows it, so certificates name the port served."""
        update: dict[str, object] = {"host": host, "port": port}
        if self._derived_public_url:
            update["public_base_url"] = served_url(host, port)
        return self.model_copy(update=update)

    @property
    def public_url_derived(self) -> bool:
        """True when GATEWAY_PUBLIC_BASE_URL was not set and the URL is made from host and port."""
        return self._derived_public_url


def served_url(host: str, port: int) -> str:
    """``http://<host>:<port>``; a wildcard address is reached on this machine through the loopback."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` and pass it explicitly)."""
    return Settings()
