"""The Alembic history builds exactly the schema the code declares, on every dialect."""

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ticketbooth.db import tables as t
from ticketbooth.db.migrate import alembic_config, upgrade
from ticketbooth.db.tables import metadata
from ticketbooth.kit import utcnow
from tests.support.databases import create_database
from tests.support.factories import Factory


def test_migrations_match_the_declared_schema(database):
    assert _schema_differences(database) == []


def test_reference_data_has_the_spec_ticket_type_ids(database):
    with database.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, name FROM ticket_type ORDER BY id").all()
    assert [tuple(r) for r in rows] == [(1, "VIP"), (2, "FRONT_ROW"), (3, "GA")]


def test_a_tickets_copied_columns_must_match_their_sources(database, factory):
    """Ticket's keys check its user against its order's or hold's, its event against its date's, and that its seat
    is on sale for its date; and every ticket belongs to an order or a hold (else its user would go unchecked)."""
    buyer, other = factory.user(), factory.user()
    show, elsewhere = factory.seated_show(rows=1, per_row=2), factory.seated_show(rows=1, per_row=2)
    sold, held = _sold_and_held_tickets(database, buyer.id, show)
    wrong = {
        "user not the order's": sold | {"user_id": other.id},
        "user not the hold's": held | {"user_id": other.id},
        "event not the date's": sold | {"event_id": elsewhere.event_id},
        "seat not on sale for the date": sold | {"seat_id": elsewhere.seat_ids[0]},
        "neither sold nor held": sold | {"order_id": None},
    }
    engine = _enforcing_engine(database)
    refused = {}
    for case, row in wrong.items():
        try:
            with engine.begin() as conn:
                conn.execute(sa.insert(t.ticket).values(**row))
            refused[case] = False
        except (sa.exc.IntegrityError, sa.exc.OperationalError):  # PyMySQL reports a failed CHECK as the latter
            refused[case] = True
    assert refused == dict.fromkeys(wrong, True)
    with engine.begin() as conn:
        conn.execute(sa.insert(t.ticket), [sold, held])
        assert conn.execute(sa.select(sa.func.count()).select_from(t.ticket)
                            .where(t.ticket.c.event_date_id == show.id)).scalar() == 2
    engine.dispose()


def test_the_composite_keys_migration_keeps_the_tickets_of_a_populated_database(database, tmp_path):
    """Migration 0006 re-keys ticket (on SQLite by copying the table): tickets sold and held before it survive it,
    and its downgrade."""
    older = create_database(database.backend, tmp_path, revision="0005")
    try:
        factory = Factory(older)
        buyer, show = factory.user(), factory.seated_show(rows=1, per_row=3)
        sold, held = _sold_and_held_tickets(older, buyer.id, show)
        with older.engine.begin() as conn:
            conn.execute(sa.insert(t.ticket), [sold, held, sold | {"seat_id": show.seat_ids[2]}])
        tickets = _tickets(older)
        assert len(tickets) == 3

        upgrade(older.async_url)
        assert _tickets(older) == tickets
        assert _schema_differences(older) == []

        command.downgrade(alembic_config(older.async_url), "0005")
        assert _tickets(older) == tickets
    finally:
        older.close()


def _sold_and_held_tickets(database, user_id: int, show) -> tuple[dict, dict]:
    """Rows of two tickets of the show's first two seats: one of a new order of the user's, one of a new hold."""
    now = utcnow()
    with database.engine.begin() as conn:
        order_id = conn.execute(sa.insert(t.order).values(
            user_id=user_id, event_date_id=show.id, customer_name="Buyer", total_tickets=1, amount_cents=10000,
            payment_source="card", created_at=now)).inserted_primary_key[0]
        hold_id = conn.execute(sa.insert(t.hold).values(
            user_id=user_id, event_date_id=show.id, status="active", active_event_date_id=show.id,
            customer_name="Buyer", payment_source="card", amount_cents=10000, created_at=now,
            expires_at=now)).inserted_primary_key[0]
    sold = {"order_id": order_id, "hold_id": None, "user_id": user_id, "event_id": show.event_id,
            "event_date_id": show.id, "ticket_type_id": 1, "seat_id": show.seat_ids[0], "price_cents": 10000,
            "to_name": "Buyer", "created_at": now}
    return sold, sold | {"order_id": None, "hold_id": hold_id, "seat_id": show.seat_ids[1]}


def _schema_differences(database) -> list:
    with database.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def _tickets(database) -> list[tuple]:
    with database.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(t.ticket).order_by(t.ticket.c.id))]


def _enforcing_engine(database) -> sa.Engine:
    """An engine that checks keys as the server's does: SQLite checks them only when a connection asks it to."""
    engine = sa.create_engine(database.sync_url, poolclass=sa.NullPool)
    if database.backend == "sqlite":
        sa.event.listen(engine, "connect", lambda dbapi_conn, _: dbapi_conn.execute("PRAGMA foreign_keys=ON"))
    return engine
