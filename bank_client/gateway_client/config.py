"""Configuration: a TOML file, overridden by environment variables, overridden by options.

::

    gateway_url = "http://127.0.0.1:8000"
    institution = "91640221MA76R3PK3Q"           # your unified social credit code
    key = "bank-key.pem"                          # your private key (PEM)
    certificate = "bank-cert.pem"                 # its registered certificate (PEM)
    gateway_certificate = "gateway-cert.pem"      # the gateway's certificate, pinned
    seal_certificate = "seal-ca.pem"              # optional: the seal's CA, for certificate twins
    store = "gateway-store"                       # where documents and state are kept
    materials = ["materials"]                     # where material files are looked up

    [listen]
    host = "127.0.0.1"
    port = 8800
    path = "/callbacks/gateway"

Relative paths are relative to the configuration file's directory.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

DEFAULT_FILE = "gateway-client.toml"
ENV_FILE = "BANK_CLIENT_CONFIG"
# Environment variable -> configuration key.
ENV_KEYS = {
    "BANK_CLIENT_URL": "gateway_url",
    "BANK_CLIENT_INSTITUTION": "institution",
    "BANK_CLIENT_KEY": "key",
    "BANK_CLIENT_CERTIFICATE": "certificate",
    "BANK_CLIENT_GATEWAY_CERTIFICATE": "gateway_certificate",
    "BANK_CLIENT_SEAL_CERTIFICATE": "seal_certificate",
    "BANK_CLIENT_STORE": "store",
    "BANK_CLIENT_KEY_PASSWORD": "key_password",
}
PATH_KEYS = ("key", "certificate", "gateway_certificate", "seal_certificate", "store")


@dataclass(frozen=True)
class ListenConfig:
    host: str = "127.0.0.1"
    port: int = 8800
    path: str = "/callbacks/gateway"


@dataclass(frozen=True)
class Config:
    gateway_url: str
    institution: str
    key: Path
    certificate: Path
    gateway_certificate: Path
    store: Path
    seal_certificate: Path | None = None
    key_password: str | None = None
    materials: tuple[Path, ...] = ()
    jws_algorithm: str | None = None
    timeout_seconds: float = 30.0
    listen: ListenConfig = field(default_factory=ListenConfig)


def load_config(path: str | os.PathLike | None = None, *, environ: dict[str, str] | None = None,
                overrides: dict[str, object] | None = None, default_file: str = DEFAULT_FILE,
                env_file: str = ENV_FILE, env_keys: dict[str, str] | None = None) -> Config:
    """Read the configuration: ``path``, else ``$BANK_CLIENT_CONFIG``, else ./gateway-client.toml
    (which may be absent when the environment gives everything). The department client reads its own
    file and variables (``default_file``, ``env_file``, ``env_keys``) into the same keys."""
    environ = os.environ if environ is None else environ
    env_keys = ENV_KEYS if env_keys is None else env_keys
    explicit = path or environ.get(env_file)
    file = Path(explicit) if explicit else Path(default_file)
    values: dict[str, object] = {}
    base = Path.cwd()
    if file.is_file():
        try:
            values = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: not valid TOML ({exc})") from None
        base = file.resolve().parent
    elif explicit:
        raise ConfigError(f"configuration file {file} does not exist")
    for variable, key in env_keys.items():
        if environ.get(variable):
            values[key] = environ[variable]
    values.update({key: value for key, value in (overrides or {}).items() if value is not None})
    return _build(values, base, default_file)


def _build(values: dict[str, object], base: Path, default_file: str = DEFAULT_FILE) -> Config:
    if "department" in values and "institution" not in values:  # a department's file names its code so
        values = {("institution" if key == "department" else key): value for key, value in values.items()}
    unknown = set(values) - {*ENV_KEYS.values(), "materials", "listen", "jws_algorithm", "timeout_seconds"}
    if unknown:
        raise ConfigError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
    missing = [key for key in ("gateway_url", "institution", "key", "certificate", "gateway_certificate", "store")
               if not values.get(key)]
    if missing:
        raise ConfigError(f"configuration lacks: {', '.join(missing)} (no {default_file} here? use --config FILE; "
                          "see docs/interface/client.md)")

    def path(key: str) -> Path | None:
        value = values.get(key)
        return None if not value else (base / str(value)).resolve() if not Path(str(value)).is_absolute() \
            else Path(str(value))

    materials = values.get("materials", [])
    if isinstance(materials, str):
        materials = [materials]
    listen = values.get("listen") or {}
    if not isinstance(listen, dict):
        raise ConfigError("[listen] must be a table")
    return Config(
        gateway_url=str(values["gateway_url"]).rstrip("/"),
        institution=str(values["institution"]),
        key=path("key"),
        certificate=path("certificate"),
        gateway_certificate=path("gateway_certificate"),
        store=path("store"),
        seal_certificate=path("seal_certificate"),
        key_password=str(values["key_password"]) if values.get("key_password") else None,
        materials=tuple((base / str(m)).resolve() for m in materials),
        jws_algorithm=str(values["jws_algorithm"]) if values.get("jws_algorithm") else None,
        timeout_seconds=float(values.get("timeout_seconds", 30.0)),
        listen=ListenConfig(host=str(listen.get("host", "127.0.0.1")), port=int(listen.get("port", 8800)),
                            path=str(listen.get("path", "/callbacks/gateway"))),
    )
