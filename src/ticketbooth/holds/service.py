"""Holds: a cart that expires. Placing one claims the inventory exactly as a booking would (conditional UPDATE
for GA, the ticket unique constraint for seats), so a direct booking can never take held inventory; no cron is
needed because whoever meets an expired hold frees it inside their own transaction.
"""

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.accounts.token_cache import CurrentUser
from ticketbooth.booking import repository as booking_repository
from ticketbooth.booking.schemas import BookingRequest
from ticketbooth.booking.service import PricedOrder, claim_picked_seats, price_order
from ticketbooth.catalog.service import seat_label
from ticketbooth.config import Settings
from ticketbooth.db.database import Database, is_unique_violation
from ticketbooth.errors import HoldNotActive, NotFound, SeatAlreadyTaken
from ticketbooth.holds import repository
from ticketbooth.inventory import end_hold, free_seats_of_expired_holds, take_tiers
from ticketbooth.kit import utcnow
from ticketbooth.live.repository import HELD, record_change

_REPLACE_ATTEMPTS = 3


async def place_hold(db: Database, settings: Settings, user: CurrentUser, request: BookingRequest) -> dict:
    if request.pick_seats is not None:
        return await claim_picked_seats(db, settings, request,
                                        lambda chosen, _show: place_hold(db, settings, user, chosen))
    priced = await price_order(db, settings, request)
    date_id = request.event_date_id

    async def write(conn: AsyncConnection) -> int:
        now = utcnow()
        previous = await repository.active_hold_of(conn, user_id=user.id, event_date_id=date_id)
        if previous is not None:  # one live hold per user and show: the new one replaces it
            await end_hold(conn, hold_id=previous, event_date_id=date_id, status="released", now=now)
        hold_id = await repository.insert_hold(conn, values={
            "user_id": user.id, "event_date_id": date_id, "status": "active", "active_event_date_id": date_id,
            "customer_name": request.customer_name, "payment_source": request.payment_source,
            "amount_cents": priced.amount_cents, "created_at": now,
            "expires_at": now + timedelta(seconds=settings.hold_ttl_seconds),
        })
        if priced.claims:
            await take_tiers(conn, date_id, priced.claims, now)
            await repository.insert_hold_tiers(conn, [
                {"hold_id": hold_id, "ticket_type_id": c.ticket_type_id, "quantity": c.quantity,
                 "price_cents": c.price_cents} for c in priced.claims
            ])
        else:
            await _hold_seats(conn, user, request, priced, hold_id, now)
        await record_change(conn, event_date_id=date_id, kind=HELD, seat_ids=_seat_ids(priced), now=now)
        return hold_id

    for attempt in range(_REPLACE_ATTEMPTS):
        try:
            hold_id = await db.run_transaction(write)
            break
        except IntegrityError as exc:
            if is_unique_violation(exc, "uniq_ticket_eventdate_seat"):
                raise SeatAlreadyTaken() from None
            # The same user placed another hold on this show at the same moment: replace that one too.
            if not is_unique_violation(exc, "uq_hold_user_id_active_event_date_id") or attempt == _REPLACE_ATTEMPTS - 1:
                raise
    return await get_hold(db, user, hold_id)


async def _hold_seats(conn, user, request, priced: PricedOrder, hold_id: int, now) -> None:
    await free_seats_of_expired_holds(conn, request.event_date_id, _seat_ids(priced) or [], now)
    await booking_repository.insert_tickets(conn, [
        {**line, "order_id": None, "hold_id": hold_id, "user_id": user.id, "event_id": priced.event_id,
         "event_date_id": request.event_date_id, "to_name": request.customer_name, "created_at": now}
        for line in priced.tickets
    ])


def _seat_ids(priced: PricedOrder) -> list[int] | None:
    return [t["seat_id"] for t in priced.tickets if t["seat_id"] is not None] or None


async def release_hold(db: Database, user: CurrentUser, hold_id: int) -> None:
    found = await owned_hold(db, user, hold_id)
    if found.status == "converted":
        raise HoldNotActive("This hold was already turned into an order.")

    async def write(conn: AsyncConnection) -> None:
        await end_hold(conn, hold_id=hold_id, event_date_id=found.event_date_id, status="released", now=utcnow())

    await db.run_transaction(write)


async def owned_hold(db: Database, user: CurrentUser, hold_id: int):
    async with db.read() as conn:
        found = await repository.get_hold(conn, hold_id)
    # Someone else's hold answers exactly like a missing one.
    if found is None or found.user_id != user.id:
        raise NotFound(f"Hold {hold_id} does not exist.")
    return found


async def get_hold(db: Database, user: CurrentUser, hold_id: int) -> dict:
    found = await owned_hold(db, user, hold_id)
    async with db.read() as conn:
        tiers = await repository.hold_tiers(conn, hold_id)
        seats = await repository.held_seats(conn, hold_id, including_sold=found.status == "converted")
    status = found.status
    if status == "active" and found.expires_at <= utcnow():
        status = "expired"
    items = [
        {"ticket_type_id": t.ticket_type_id, "ticket_type": t.ticket_type, "quantity": t.quantity,
         "price": t.price_cents} for t in tiers
    ] + [
        {"ticket_type_id": s.ticket_type_id, "ticket_type": s.ticket_type, "quantity": 1, "price": s.price_cents,
         "seat_id": s.seat_id, "seat_label": seat_label(s.section, s.row, s.number)} for s in seats
    ]
    return {
        "hold_id": found.id, "event_date_id": found.event_date_id, "status": status,
        "expires_at": found.expires_at, "total_amount": found.amount_cents, "items": items,
        "order_id": found.order_id,
    }
