"""Alembic migrations: an empty database upgrades to head on SQLite and PostgreSQL, and the models match the migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from server.migrate import current_revision, head_revision, prepare, upgrade
from server.models import Base
from server.wiring import open_database


@pytest.fixture
def empty_database(backend, tmp_path, backends):  # type: ignore[no-untyped-def]
    with backends.scratch(backend, tmp_path, "empty") as url:
        db = open_database(url)
        yield db
        db.dispose()


def test_an_empty_database_upgrades_to_head(empty_database):
    assert current_revision(empty_database.engine) is None
    upgrade(empty_database.engine)
    assert current_revision(empty_database.engine) == head_revision()
    tables = set(inspect(empty_database.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_the_models_and_the_migrations_agree(empty_database):
    upgrade(empty_database.engine)
    with empty_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_preparing_twice_changes_nothing_and_creates_the_virtual_locations_once(empty_database):
    from sqlalchemy import func, select

    from server.locations.models import Location

    prepare(empty_database)
    prepare(empty_database)
    with empty_database.read() as session:
        assert session.scalar(select(func.count()).select_from(Location).where(Location.kind == "virtual")) == 6
