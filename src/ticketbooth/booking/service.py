"""Booking: price the order from the catalog, then one all-or-nothing transaction in which the database decides.

GA: INSERT the order and its tickets, then one conditional UPDATE per tier (`remaining >= qty`), tiers in id
order so two multi-tier orders never deadlock; any tier short rolls everything back. The inventory row is
locked only from its UPDATE to the COMMIT.
SEATED: INSERT the order and one ticket per seat, seats in ascending id order (no deadlock between
overlapping orders); the unique constraint on ticket (event_date_id, seat_id) rejects a seat sold already.
Idempotency: the order row carries (user_id, idempotency_key) under a unique constraint, so a retry, even one
arriving at the same moment on another server process, waits for the first in the database and replays it.
"""

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.accounts.service import CurrentUser
from ticketbooth.booking import repository
from ticketbooth.booking.schemas import BookingRequest
from ticketbooth.config import Settings
from ticketbooth.db.database import Database, is_unique_violation
from ticketbooth.errors import (
    EventDatePast,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientInventory,
    NotFound,
    OrderLimitExceeded,
    SeatAlreadyTaken,
    SeatingModeMismatch,
    ServiceUnavailable,
    TicketTypeMismatch,
    UnknownSeat,
    UnknownTicketType,
)
from ticketbooth.kit import utcnow
from ticketbooth.orders import repository as orders_repository
from ticketbooth.orders.service import expand_orders


@dataclass(frozen=True)
class TierClaim:
    ticket_type_id: int
    name: str
    quantity: int


@dataclass
class PricedOrder:
    """What the buyer asked for, priced from the database: ticket rows to insert and GA inventory to take."""

    event_id: int
    tickets: list[dict] = field(default_factory=list)
    claims: list[TierClaim] = field(default_factory=list)

    @property
    def amount_cents(self) -> int:
        return sum(t["price_cents"] for t in self.tickets)


def request_fingerprint(request: BookingRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def book(
    db: Database, settings: Settings, user: CurrentUser, request: BookingRequest, idempotency_key: str | None
) -> dict:
    if request.user_id is not None and request.user_id != user.id:
        raise Forbidden("userId does not match the logged-in user.")
    fingerprint = request_fingerprint(request)
    priced = await price_order(db, settings, request)
    now = utcnow()
    order_row = {
        "user_id": user.id,
        "event_date_id": request.event_date_id,
        "customer_name": request.customer_name,
        "payment_source": request.payment_source,
        "total_tickets": len(priced.tickets),
        "amount_cents": priced.amount_cents,
        "idempotency_key": idempotency_key,
        "request_hash": fingerprint if idempotency_key else None,
        "created_at": now,
    }
    ticket_common = {
        "user_id": user.id,
        "event_id": priced.event_id,
        "event_date_id": request.event_date_id,
        "to_name": request.customer_name,
        "created_at": now,
    }

    async def write(conn: AsyncConnection) -> int:
        order_id = await repository.insert_order(conn, values=order_row)
        await repository.insert_tickets(
            conn, [{**ticket_common, **line, "order_id": order_id} for line in priced.tickets]
        )
        for claim in priced.claims:
            taken = await repository.take_ga_inventory(
                conn, event_date_id=request.event_date_id, ticket_type_id=claim.ticket_type_id, quantity=claim.quantity
            )
            if not taken:
                raise InsufficientInventory(f"Not enough tickets left for {claim.name}.")
        return order_id

    try:
        order_id = await db.run_transaction(write)
    except IntegrityError as exc:
        if idempotency_key and is_unique_violation(exc, "uq_order_user_id_idempotency_key"):
            return await replay(db, user, idempotency_key, fingerprint)
        if is_unique_violation(exc, "uniq_ticket_eventdate_seat"):
            raise SeatAlreadyTaken() from None
        raise
    return await booking_response(db, order_id)


async def price_order(db: Database, settings: Settings, request: BookingRequest) -> PricedOrder:
    """Check the request against the show and price every ticket from the database (never from the client).

    These reads decide nothing about inventory: prices, tiers and seats of a show do not change while it is on
    sale, and the transaction in `book` is what claims the tickets.
    """
    async with db.read() as conn:
        show = await repository.get_show(conn, request.event_date_id)
        if show is None:
            raise NotFound(f"Event date {request.event_date_id} does not exist.")
        if show.event_date <= utcnow():
            raise EventDatePast("This show has already taken place; tickets are no longer on sale.")
        wanted = sum(t.quantity for t in request.tiers) if request.tiers else len(request.seats or [])
        if wanted > settings.max_tickets_per_order:
            raise OrderLimitExceeded(
                f"An order may hold at most {settings.max_tickets_per_order} tickets; this one asks for {wanted}."
            )
        priced = PricedOrder(event_id=show.event_id)
        if request.tiers:
            if show.seating_mode != "GA":
                raise SeatingModeMismatch("This show has assigned seats: book `seats`, not `tiers`.")
            await _price_tiers(conn, request, priced)
        else:
            if show.seating_mode != "SEATED":
                raise SeatingModeMismatch("This show is general admission: book `tiers`, not `seats`.")
            await _price_seats(conn, request, priced)
    return priced


async def _price_tiers(conn: AsyncConnection, request: BookingRequest, priced: PricedOrder) -> None:
    wanted = sorted(request.tiers or [], key=lambda t: t.ticket_type_id)
    prices = await repository.tier_prices(conn, request.event_date_id, [t.ticket_type_id for t in wanted])
    for tier in wanted:
        found = prices.get(tier.ticket_type_id)
        if found is None:
            raise UnknownTicketType(f"Ticket type {tier.ticket_type_id} is not on sale for this show.")
        priced.claims.append(TierClaim(tier.ticket_type_id, found.name, tier.quantity))
        priced.tickets.extend(
            {"ticket_type_id": tier.ticket_type_id, "seat_id": None, "price_cents": found.price_cents}
            for _ in range(tier.quantity)
        )


async def _price_seats(conn: AsyncConnection, request: BookingRequest, priced: PricedOrder) -> None:
    wanted = sorted(request.seats or [], key=lambda s: s.seat_id)
    on_sale = await repository.seats_on_sale(conn, request.event_date_id, [s.seat_id for s in wanted])
    for requested in wanted:
        found = on_sale.get(requested.seat_id)
        if found is None:
            raise UnknownSeat(f"Seat {requested.seat_id} is not part of this show.")
        if requested.ticket_type_id is not None and requested.ticket_type_id != found.ticket_type_id:
            raise TicketTypeMismatch(
                f"Seat {requested.seat_id} is a {found.ticket_type} seat (ticketTypeId {found.ticket_type_id})."
            )
        priced.tickets.append(
            {"ticket_type_id": found.ticket_type_id, "seat_id": requested.seat_id, "price_cents": found.price_cents}
        )


async def replay(db: Database, user: CurrentUser, idempotency_key: str, fingerprint: str) -> dict:
    """The answer to a retried request: the order its key created first, if the body is the same."""
    async with db.read() as conn:
        found = await orders_repository.find_by_idempotency_key(conn, user_id=user.id, key=idempotency_key)
    if found is None:  # the conflicting order vanished (rolled back): nothing was booked, the client may retry
        raise ServiceUnavailable("The first request with this Idempotency-Key did not complete; retry.")
    if found.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return await booking_response(db, found.id)


async def booking_response(db: Database, order_id: int) -> dict:
    async with db.read() as conn:
        found = await orders_repository.get_order(conn, order_id)
        expanded = (await expand_orders(conn, [found]))[0]
    return {
        "order_id": expanded["id"],
        "total_amount": expanded["total_amount"],
        "tickets": [
            {"id": t["id"], "ticket_type": t["ticket_type"], "seat_label": t["seat_label"], "to_name": t["to_name"]}
            for t in expanded["tickets"]
        ],
    }
