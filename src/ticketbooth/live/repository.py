"""SQL of the availability change log that live subscribers follow."""

import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.db.tables import availability_change

SOLD, HELD, RELEASED = "sold", "held", "released"
_RETENTION = timedelta(hours=1)


_RECORD_CHANGE = sa.insert(availability_change)  # built once: every booking and hold runs it
_CHANGES = sa.select(availability_change.c.id, availability_change.c.kind, availability_change.c.seat_ids)


async def record_change(
    conn: AsyncConnection, *, event_date_id: int, kind: str, seat_ids: list[int] | None, now: datetime
) -> None:
    """Called inside the transaction that changes the inventory, so the log never tells of a rolled-back change."""
    await conn.execute(_RECORD_CHANGE, {
        "event_date_id": event_date_id, "kind": kind, "seat_ids": json.dumps(seat_ids) if seat_ids else None,
        "created_at": now,
    })


async def changes_after(conn: AsyncConnection, *, event_date_id: int, after_id: int, limit: int) -> list[sa.Row]:
    query = (
        _CHANGES.where(availability_change.c.event_date_id == event_date_id, availability_change.c.id > after_id)
        .order_by(availability_change.c.id)
        .limit(limit)
    )
    return (await conn.execute(query)).all()


async def change_ids_between(conn: AsyncConnection, *, event_date_id: int, after_id: int, up_to_id: int) -> list[int]:
    """Ids only (the index holds them): a poller compares them with the ids it has seen to find late commits."""
    query = sa.select(availability_change.c.id).where(
        availability_change.c.event_date_id == event_date_id,
        availability_change.c.id > after_id,
        availability_change.c.id <= up_to_id,
    )
    return list((await conn.execute(query)).scalars())


async def changes_with_ids(conn: AsyncConnection, ids: list[int]) -> list[sa.Row]:
    query = (
        _CHANGES.where(availability_change.c.id.in_(ids))
        .order_by(availability_change.c.id)
    )
    return (await conn.execute(query)).all()


async def newest_change_id(conn: AsyncConnection, event_date_id: int) -> int:
    query = sa.select(sa.func.coalesce(sa.func.max(availability_change.c.id), 0)).where(
        availability_change.c.event_date_id == event_date_id)
    return (await conn.execute(query)).scalar_one()


async def latest_change_id(conn: AsyncConnection) -> int:
    return (await conn.execute(sa.select(sa.func.coalesce(sa.func.max(availability_change.c.id), 0)))).scalar_one()


async def forget_old_changes(conn: AsyncConnection, *, now: datetime) -> None:
    """Trim the log, but never the newest row of an event date: its id is the inventory version that cached
    availability bodies are keyed by (catalog/cache.py), which must never go backwards nor back to 0.

    The ids to keep sit in a derived table: MySQL (and MariaDB before 10.3.2) refuse a DELETE whose subquery
    reads the same table directly (error 1093) but accept it once materialised; MariaDB 10.11, SQLite and
    PostgreSQL take either form, and the tests run this one on all three.
    """
    newest = (
        sa.select(sa.func.max(availability_change.c.id).label("id"))
        .group_by(availability_change.c.event_date_id)
        .subquery("newest_per_date")
    )
    await conn.execute(
        sa.delete(availability_change).where(
            availability_change.c.created_at < now - _RETENTION,
            availability_change.c.id.not_in(sa.select(newest.c.id)),
        )
    )
