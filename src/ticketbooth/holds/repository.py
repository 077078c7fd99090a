"""SQL of holds: a hold owns GA quantities (taken out of remaining_tickets) or seat rows in ticket (order_id NULL).

Every way a hold ends (release, expiry clean-up, conversion) first flips its status with a conditional
UPDATE `WHERE status = 'active'`; only the one transaction whose UPDATE matched gives the inventory back,
so quantities return exactly once however many processes race.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.db.tables import (
    event_date_has_ticket_type,
    hold,
    hold_tier,
    seat,
    ticket,
    ticket_type,
)


def ticket_keeps_its_seat(now) -> sa.ColumnElement[bool]:
    """Whether a ticket row, joined to its hold, keeps its seat from everyone else at `now` (a datetime or a bind
    parameter): sold, or held by a hold not yet expired. An expired hold's rows stay until someone frees them."""
    return sa.or_(ticket.c.order_id.is_not(None), hold.c.expires_at > now)


async def insert_hold(conn: AsyncConnection, *, values: dict) -> int:
    return (await conn.execute(sa.insert(hold).values(**values))).inserted_primary_key[0]


async def insert_hold_tiers(conn: AsyncConnection, rows: list[dict]) -> None:
    await conn.execute(sa.insert(hold_tier), rows)


async def get_hold(conn: AsyncConnection, hold_id: int) -> sa.Row | None:
    return (await conn.execute(sa.select(hold).where(hold.c.id == hold_id))).first()


async def active_hold_of(conn: AsyncConnection, *, user_id: int, event_date_id: int) -> int | None:
    query = sa.select(hold.c.id).where(hold.c.user_id == user_id, hold.c.active_event_date_id == event_date_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def hold_tiers(conn: AsyncConnection, hold_id: int) -> list[sa.Row]:
    query = (
        sa.select(hold_tier.c.ticket_type_id, hold_tier.c.quantity, hold_tier.c.price_cents,
                  ticket_type.c.name.label("ticket_type"))
        .join(ticket_type, ticket_type.c.id == hold_tier.c.ticket_type_id)
        .where(hold_tier.c.hold_id == hold_id)
        .order_by(hold_tier.c.ticket_type_id)
    )
    return (await conn.execute(query)).all()


async def held_seats(conn: AsyncConnection, hold_id: int, *, including_sold: bool = False) -> list[sa.Row]:
    query = (
        sa.select(ticket.c.id, ticket.c.seat_id, ticket.c.ticket_type_id, ticket.c.price_cents,
                  ticket_type.c.name.label("ticket_type"),
                  seat.c.section, seat.c.row, seat.c.number)
        .join(seat, seat.c.id == ticket.c.seat_id)
        .join(ticket_type, ticket_type.c.id == ticket.c.ticket_type_id)
        .where(ticket.c.hold_id == hold_id, sa.true() if including_sold else ticket.c.order_id.is_(None))
        .order_by(ticket.c.seat_id)
    )
    return (await conn.execute(query)).all()


async def end_hold(
    conn: AsyncConnection, *, hold_id: int, status: str, now: datetime, only_if_expired: bool = False
) -> tuple[bool, list[int]]:
    """Move an active hold to `status` and give its inventory back: (whether this call ended it, seats freed)."""
    conditions = [hold.c.id == hold_id, hold.c.status == "active"]
    if only_if_expired:
        conditions.append(hold.c.expires_at <= now)
    result = await conn.execute(
        sa.update(hold).where(*conditions).values(status=status, active_event_date_id=None)
    )
    if result.rowcount != 1:
        return False, []
    found = (await conn.execute(sa.select(hold.c.event_date_id).where(hold.c.id == hold_id))).scalar_one()
    inv = event_date_has_ticket_type
    for tier in await hold_tiers(conn, hold_id):
        await conn.execute(
            sa.update(inv)
            .where(inv.c.event_date_id == found, inv.c.ticket_type_id == tier.ticket_type_id)
            .values(remaining_tickets=inv.c.remaining_tickets + tier.quantity)
        )
    seat_ids = list(
        (await conn.execute(
            sa.select(ticket.c.seat_id).where(ticket.c.hold_id == hold_id, ticket.c.order_id.is_(None))
        )).scalars()
    )
    if seat_ids:
        await conn.execute(sa.delete(ticket).where(ticket.c.hold_id == hold_id, ticket.c.order_id.is_(None)))
    return True, seat_ids


async def convert_hold(conn: AsyncConnection, *, hold_id: int, order_id: int, now: datetime) -> bool:
    """Claim a live hold for an order; False when it is no longer active or has expired."""
    result = await conn.execute(
        sa.update(hold)
        .where(hold.c.id == hold_id, hold.c.status == "active", hold.c.expires_at > now)
        .values(status="converted", active_event_date_id=None, order_id=order_id)
    )
    return result.rowcount == 1


async def sell_held_seats(conn: AsyncConnection, *, hold_id: int, order_id: int, to_name: str) -> int:
    result = await conn.execute(
        sa.update(ticket)
        .where(ticket.c.hold_id == hold_id, ticket.c.order_id.is_(None))
        .values(order_id=order_id, to_name=to_name)
    )
    return result.rowcount


async def expired_holds_with_tier(
    conn: AsyncConnection, *, event_date_id: int, ticket_type_id: int, now: datetime, limit: int = 200
) -> list[int]:
    query = (
        sa.select(hold.c.id)
        .join(hold_tier, hold_tier.c.hold_id == hold.c.id)
        .where(hold.c.event_date_id == event_date_id, hold.c.status == "active", hold.c.expires_at <= now,
               hold_tier.c.ticket_type_id == ticket_type_id)
        .order_by(hold.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())


_SHOW = sa.bindparam("show")
_FREE_EXPIRED_SEAT_HOLDS = sa.delete(ticket).where(  # built once: every seat booking runs it
    ticket.c.event_date_id == _SHOW,
    ticket.c.seat_id.in_(sa.bindparam("seat_ids", expanding=True)),
    ticket.c.order_id.is_(None),
    ticket.c.hold_id.in_(
        sa.select(hold.c.id).where(hold.c.event_date_id == _SHOW, hold.c.expires_at <= sa.bindparam("now"))
    ),
)


# PostgreSQL: one execution per seat (pipelined by asyncpg: one round trip), each by the whole unique key, and the
# hold by its primary key. PostgreSQL caches a generic plan for a prepared statement: made while `ticket` had never
# been analyzed (a fresh database, until autovacuum's first ANALYZE), the plan of `seat_id IN (...)` used the index
# for event_date_id only and filtered seat_id over every ticket of the show.
_FREE_EXPIRED_SEAT_HOLD_PG = sa.delete(ticket).where(
    ticket.c.event_date_id == _SHOW,
    ticket.c.seat_id == sa.bindparam("seat"),
    ticket.c.order_id.is_(None),
    sa.exists().where(hold.c.id == ticket.c.hold_id, hold.c.expires_at <= sa.bindparam("now")),
)


async def free_expired_seat_holds(
    conn: AsyncConnection, *, event_date_id: int, seat_ids: list[int], now: datetime
) -> None:
    """An expired hold never blocks anyone: drop its seat rows where someone now wants those seats."""
    if conn.dialect.name != "postgresql":
        await conn.execute(_FREE_EXPIRED_SEAT_HOLDS, {"show": event_date_id, "seat_ids": seat_ids, "now": now})
    elif seat_ids:
        await conn.execute(_FREE_EXPIRED_SEAT_HOLD_PG,
                           [{"show": event_date_id, "seat": seat_id, "now": now} for seat_id in seat_ids])


async def expired_held_quantities(conn: AsyncConnection, *, event_date_id: int, now: datetime) -> dict[int, int]:
    """GA quantities of holds that expired but were not given back yet: available to the next buyer."""
    query = (
        sa.select(hold_tier.c.ticket_type_id, sa.func.sum(hold_tier.c.quantity))
        .join(hold, hold.c.id == hold_tier.c.hold_id)
        .where(hold.c.event_date_id == event_date_id, hold.c.status == "active", hold.c.expires_at <= now)
        .group_by(hold_tier.c.ticket_type_id)
    )
    return {tier: int(qty) for tier, qty in (await conn.execute(query)).all()}
