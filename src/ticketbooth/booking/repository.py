"""SQL of a booking: the conditional inventory UPDATE and the order and ticket INSERTs."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.db.tables import (
    event_date,
    event_date_has_seat,
    event_date_has_ticket_type,
    order,
    seat,
    ticket,
    ticket_type,
)


async def get_show(conn: AsyncConnection, event_date_id: int) -> sa.Row | None:
    query = sa.select(
        event_date.c.id, event_date.c.event_id, event_date.c.event_date, event_date.c.seating_mode
    ).where(event_date.c.id == event_date_id)
    return (await conn.execute(query)).first()


async def tier_prices(conn: AsyncConnection, event_date_id: int) -> dict[int, sa.Row]:
    """Every GA tier of the show: ticket_type_id -> (name, price_cents)."""
    inv = event_date_has_ticket_type
    query = (
        sa.select(inv.c.ticket_type_id, ticket_type.c.name, inv.c.price_cents)
        .join(ticket_type, ticket_type.c.id == inv.c.ticket_type_id)
        .where(inv.c.event_date_id == event_date_id)
    )
    return {r.ticket_type_id: r for r in (await conn.execute(query)).all()}


async def seats_on_sale(conn: AsyncConnection, event_date_id: int, seat_ids: list[int]) -> dict[int, sa.Row]:
    inv = event_date_has_seat
    query = (
        sa.select(
            inv.c.seat_id,
            inv.c.ticket_type_id,
            inv.c.price_cents,
            ticket_type.c.name.label("ticket_type"),
            seat.c.section,
            seat.c.row,
            seat.c.number,
        )
        .join(seat, seat.c.id == inv.c.seat_id)
        .join(ticket_type, ticket_type.c.id == inv.c.ticket_type_id)
        .where(inv.c.event_date_id == event_date_id, inv.c.seat_id.in_(seat_ids))
    )
    return {r.seat_id: r for r in (await conn.execute(query)).all()}


async def insert_order(conn: AsyncConnection, *, values: dict) -> int:
    return (await conn.execute(sa.insert(order).values(**values))).inserted_primary_key[0]


async def insert_orders(conn: AsyncConnection, rows: list[dict]) -> list[int]:
    """One multi-row INSERT; the ids come back in the order of `rows`."""
    result = await conn.execute(sa.insert(order).returning(order.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


async def insert_tickets(conn: AsyncConnection, rows: list[dict], *, in_order: bool = False) -> list[sa.Row]:
    """One multi-row INSERT returning (id, order_id, ticket_type_id, seat_id) of each ticket (RETURNING works on
    all three dialects), in the order of `rows` when asked. For seats, uniq_ticket_eventdate_seat rejects a seat
    sold or held already."""
    if not rows:
        return []
    result = await conn.execute(
        sa.insert(ticket).returning(ticket.c.id, ticket.c.order_id, ticket.c.ticket_type_id, ticket.c.seat_id,
                                    sort_by_parameter_order=in_order),
        rows,
    )
    return result.all()


async def take_ga_inventory(conn: AsyncConnection, *, event_date_id: int, ticket_type_id: int, quantity: int) -> bool:
    """The spec's conditional decrement: True when `quantity` tickets were taken, False when too few are left."""
    inv = event_date_has_ticket_type
    result = await conn.execute(
        sa.update(inv)
        .where(
            inv.c.event_date_id == event_date_id,
            inv.c.ticket_type_id == ticket_type_id,
            inv.c.remaining_tickets >= quantity,
        )
        .values(remaining_tickets=inv.c.remaining_tickets - quantity)
    )
    return result.rowcount == 1
