"""Running Alembic migrations from code (``gateway db upgrade``, ``make run``, tests)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at ``engine`` to ``revision``."""
    with migrating(engine) as config:
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database at ``engine`` back to ``revision``."""
    with migrating(engine) as config:
        command.downgrade(config, revision)


@contextmanager
def migrating(engine: Engine) -> Iterator[Config]:
    """An Alembic configuration bound to one transaction on ``engine``.

    On SQLite, foreign keys are off while the migrations run and checked as a whole at the end:
    SQLite alters a table by copying it and dropping the old one, which the rows of other tables
    referring to it would otherwise refuse (``PRAGMA foreign_keys`` cannot change inside a transaction).
    """
    config = alembic_config(str(engine.url))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection if sqlite else None
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                yield config
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration left {len(broken)} rows referring to nothing")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
