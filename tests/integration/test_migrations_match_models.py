"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL,
and the newest one goes down and up again."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from gateway.persistence.migrate import alembic_config, upgrade
from gateway.persistence.models import Base
import gateway.persistence.all_models  # noqa: F401  (every model registered on Base.metadata)


def _differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return [diff for diff in compare_metadata(context, Base.metadata)
                if not (isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version")]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_migrated_schema_is_the_models_schema(database, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'schema.db'}" if database == "sqlite" else request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    try:
        upgrade(engine)
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_the_newest_migration_goes_down_and_up_again(tmp_path):
    from alembic import command

    engine = create_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade(engine)
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    upgrade(engine)
    assert _differences(engine) == []
    engine.dispose()
