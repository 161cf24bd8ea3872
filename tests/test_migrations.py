"""The migrations build exactly the schema the models describe, and can be undone and redone."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, Integer, MetaData, Table, inspect

from market import create_app
from market.extensions import db as _db

from .conftest import TEST_CONFIG

TABLES = {
    "agencies",
    "audit_events",
    "bid_documents",
    "bid_qualifications",
    "bids",
    "calendar_overrides",
    "commitments",
    "contracts",
    "documents",
    "evaluations",
    "invitations",
    "memberships",
    "notices",
    "offerings",
    "organisations",
    "past_performances",
    "practitioners",
    "qualifications",
    "service_items",
    "users",
}


def test_the_migrated_schema_matches_the_models(app, db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []

        # The comparison does notice a model the migrations lack.
        probe = MetaData(naming_convention=db.metadata.naming_convention)
        for table in db.metadata.tables.values():
            table.to_metadata(probe)
        Table("probe", probe, Column("id", Integer, primary_key=True))
        assert [d[0] for d in compare_metadata(context, probe)] == ["add_table"]


def test_every_model_table_is_migrated(app, db):
    assert set(db.metadata.tables) == TABLES
    assert set(inspect(db.engine).get_table_names()) == TABLES | {"alembic_version"}


def test_upgrade_downgrade_upgrade_on_a_fresh_database(tmp_path, make):
    other = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    )
    with other.app_context():
        engine = _db.engine
        try:
            upgrade()
            assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}

            downgrade(revision="base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

            upgrade()
            assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(context, _db.metadata) == []
        finally:
            engine.dispose()

    # Back in the session's app: its own database was not touched.
    assert _db.engine is not engine
    assert "calendar_overrides" in inspect(_db.engine).get_table_names()
    assert make.item("ZJ012") is not None
