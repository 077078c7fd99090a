"""SQL that reads orders back with their tickets."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.db.tables import event, event_date, order, seat, ticket, ticket_type

_ORDER_COLUMNS = (
    order.c.id,
    order.c.user_id,
    order.c.event_date_id,
    order.c.customer_name,
    order.c.total_tickets,
    order.c.amount_cents,
    order.c.request_hash,
    order.c.created_at,
)


async def get_order(conn: AsyncConnection, order_id: int) -> sa.Row | None:
    return (await conn.execute(sa.select(*_ORDER_COLUMNS).where(order.c.id == order_id))).first()


async def find_by_idempotency_key(conn: AsyncConnection, *, user_id: int, key: str) -> sa.Row | None:
    query = sa.select(*_ORDER_COLUMNS).where(order.c.user_id == user_id, order.c.idempotency_key == key)
    return (await conn.execute(query)).first()


async def orders_of_user(conn: AsyncConnection, user_id: int) -> list[sa.Row]:
    query = (
        sa.select(*_ORDER_COLUMNS)
        .where(order.c.user_id == user_id)
        .order_by(order.c.created_at.desc(), order.c.id.desc())
    )
    return (await conn.execute(query)).all()


async def tickets_of_orders(conn: AsyncConnection, order_ids: list[int]) -> list[sa.Row]:
    if not order_ids:
        return []
    query = (
        sa.select(
            ticket.c.id,
            ticket.c.order_id,
            ticket.c.to_name,
            ticket_type.c.name.label("ticket_type"),
            event.c.title.label("event_title"),
            event_date.c.event_date,
            seat.c.section,
            seat.c.row,
            seat.c.number,
        )
        .join(ticket_type, ticket_type.c.id == ticket.c.ticket_type_id)
        .join(event_date, event_date.c.id == ticket.c.event_date_id)
        .join(event, event.c.id == ticket.c.event_id)
        .outerjoin(seat, seat.c.id == ticket.c.seat_id)
        .where(ticket.c.order_id.in_(order_ids))
        .order_by(ticket.c.id)
    )
    return (await conn.execute(query)).all()
