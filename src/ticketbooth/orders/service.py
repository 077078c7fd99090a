"""Reading orders: a customer sees their own, an administrator sees any."""

from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.accounts.service import PERMISSION_READ_ANY_ORDER
from ticketbooth.accounts.token_cache import CurrentUser
from ticketbooth.catalog.service import seat_label
from ticketbooth.db.database import Database
from ticketbooth.errors import Forbidden, NotFound
from ticketbooth.orders import repository


async def get_order(db: Database, user: CurrentUser, order_id: int) -> dict:
    async with db.read() as conn:
        found = await repository.get_order(conn, order_id)
        # Someone else's order answers exactly like a missing one, so ids reveal nothing.
        if found is None or (found.user_id != user.id and not user.can(PERMISSION_READ_ANY_ORDER)):
            raise NotFound(f"Order {order_id} does not exist.")
        return (await expand_orders(conn, [found]))[0]


async def list_orders(db: Database, user: CurrentUser, user_id: int | None) -> list[dict]:
    owner = user.id if user_id is None else user_id
    if owner != user.id and not user.can(PERMISSION_READ_ANY_ORDER):
        raise Forbidden("You may only list your own orders.")
    async with db.read() as conn:
        return await expand_orders(conn, await repository.orders_of_user(conn, owner))


async def expand_orders(conn: AsyncConnection, orders: list) -> list[dict]:
    tickets = await repository.tickets_of_orders(conn, [o.id for o in orders])
    by_order: dict[int, list[dict]] = {o.id: [] for o in orders}
    for t in tickets:
        by_order[t.order_id].append(
            {
                "id": t.id,
                "event_title": t.event_title,
                "event_date": t.event_date,
                "ticket_type": t.ticket_type,
                "seat_label": seat_label(t.section, t.row, t.number) if t.section is not None else None,
                "to_name": t.to_name,
            }
        )
    return [
        {
            "id": o.id,
            "created_at": o.created_at,
            "customer_name": o.customer_name,
            "total_amount": o.amount_cents,
            "total_tickets": o.total_tickets,
            "event_date_id": o.event_date_id,
            "tickets": by_order[o.id],
        }
        for o in orders
    ]
