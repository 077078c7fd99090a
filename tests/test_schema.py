"""The Alembic history builds exactly the schema the code declares, on every dialect."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ticketbooth.db.tables import metadata


def test_migrations_match_the_declared_schema(database):
    with database.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_reference_data_has_the_spec_ticket_type_ids(database):
    with database.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, name FROM ticket_type ORDER BY id").all()
    assert [tuple(r) for r in rows] == [(1, "VIP"), (2, "FRONT_ROW"), (3, "GA")]
