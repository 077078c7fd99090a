"""TEST-ONLY control for the race tests: the booking every concurrency bug report starts from.

It reads `remaining`, decides in Python, then writes `remaining = <what it read> - qty`: check-then-act.
It lives under tests/ and is mounted only by this factory, so production can never reach it. The race tests
run it under the same harness to prove they can catch an oversell.
"""

import asyncio

import sqlalchemy as sa
from fastapi import FastAPI

from ticketbooth.app import create_app as create_real_app
from ticketbooth.booking import repository
from ticketbooth.booking.schemas import BookingRequest
from ticketbooth.booking.service import booking_response
from ticketbooth.db.tables import event_date_has_ticket_type as inv
from ticketbooth.dependencies import CurrentUserDep, DbDep
from ticketbooth.errors import InsufficientInventory
from ticketbooth.kit import utcnow

RACE_WINDOW_S = 0.05  # real code has this window too (a network hop, a GC pause); widened to show every run


def create_app() -> FastAPI:
    app = create_real_app()

    @app.post("/api/naive-bookings", status_code=201)
    async def naive_booking(body: BookingRequest, user: CurrentUserDep, db: DbDep) -> dict:
        [tier] = body.tiers or []
        where = (inv.c.event_date_id == body.event_date_id, inv.c.ticket_type_id == tier.ticket_type_id)
        async with db.read() as conn:
            remaining, price = (await conn.execute(sa.select(inv.c.remaining_tickets, inv.c.price_cents)
                                                   .where(*where))).one()
        if remaining < tier.quantity:
            raise InsufficientInventory("Not enough tickets left.")
        await asyncio.sleep(RACE_WINDOW_S)
        now = utcnow()
        async with db.transaction() as conn:
            show = await repository.get_show(conn, body.event_date_id)
            await conn.execute(sa.update(inv).where(*where).values(remaining_tickets=remaining - tier.quantity))
            order_id = await repository.insert_order(conn, values={
                "user_id": user.id, "event_date_id": body.event_date_id, "customer_name": body.customer_name,
                "payment_source": body.payment_source, "total_tickets": tier.quantity,
                "amount_cents": price * tier.quantity, "created_at": now})
            await repository.insert_tickets(conn, [
                {"order_id": order_id, "user_id": user.id, "event_id": show.event_id,
                 "event_date_id": body.event_date_id, "ticket_type_id": tier.ticket_type_id, "seat_id": None,
                 "price_cents": price, "to_name": body.customer_name, "created_at": now}
                for _ in range(tier.quantity)])
        return await booking_response(db, order_id)

    return app
