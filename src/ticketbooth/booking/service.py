"""Booking: price the order from the catalog, then one all-or-nothing transaction in which the database decides.

GA: INSERT the order and its tickets, then one conditional UPDATE per tier (`remaining >= qty`), tiers in id
order so two multi-tier orders never deadlock; any tier short rolls everything back. The inventory row is
locked only from its UPDATE to the COMMIT.
SEATED: INSERT the order and one ticket per seat, seats in ascending id order (no deadlock between
overlapping orders); the unique constraint on ticket (event_date_id, seat_id) rejects a seat sold or held.
PICKED SEATS (`pickSeats`): a per-process view of free seats proposes seats side by side (booking/seat_picker.py),
which are then booked exactly as SEATED; seats the unique constraint refuses are picked again.
A hold (holds/service.py) claimed its inventory the same way; converting it flips the hold to `converted`
with a conditional UPDATE and turns its held seat rows (or GA quantities) into the order's tickets.
Idempotency: the order row carries (user_id, idempotency_key) under a unique constraint, so a retry, even one
arriving at the same moment on another server process, waits for the first in the database and replays it.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.accounts.token_cache import CurrentUser
from ticketbooth.booking import repository
from ticketbooth.booking.grouping import BookAlone, GroupBooker, TierSoldOut
from ticketbooth.booking.schemas import BookingRequest, SeatRequest
from ticketbooth.booking.seat_map import SeatMap
from ticketbooth.booking.seat_picker import SeatPicker
from ticketbooth.booking.show_copies import ShowCopies
from ticketbooth.catalog.service import seat_label
from ticketbooth.config import Settings
from ticketbooth.db.database import Database, is_unique_violation
from ticketbooth.errors import (
    EventDatePast,
    Forbidden,
    HoldExpired,
    HoldNotActive,
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
from ticketbooth.holds import repository as holds_repository
from ticketbooth.inventory import TierClaim, end_hold, free_seats_of_expired_holds, take_tiers, too_few_left
from ticketbooth.kit import utcnow
from ticketbooth.live.repository import SOLD, record_change
from ticketbooth.orders import repository as orders_repository
from ticketbooth.orders.service import expand_orders

T = TypeVar("T")


@dataclass
class PricedOrder:
    """What the buyer asked for, priced from the database: ticket rows to insert and GA inventory to take."""

    event_id: int
    tickets: list[dict] = field(default_factory=list)
    claims: list[TierClaim] = field(default_factory=list)
    type_names: dict[int, str] = field(default_factory=dict)
    seat_labels: dict[int, str] = field(default_factory=dict)

    @property
    def amount_cents(self) -> int:
        return sum(t["price_cents"] for t in self.tickets)


def request_fingerprint(request: BookingRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def book(
    db: Database, settings: Settings, groups: GroupBooker | None, user: CurrentUser, request: BookingRequest,
    idempotency_key: str | None,
) -> dict:
    if request.user_id is not None and request.user_id != user.id:
        raise Forbidden("userId does not match the logged-in user.")
    fingerprint = request_fingerprint(request) if idempotency_key else None  # only a keyed retry compares it
    if request.pick_seats is not None:
        return await _book_picked_seats(db, settings, groups, user, request, idempotency_key, fingerprint)
    if request.hold_id is not None:
        try:
            plan = await _plan_hold_conversion(db, user, request)
        except HoldNotActive:
            # A retried conversion finds its hold converted already: answer with that order.
            if idempotency_key and (found := await _find_keyed_order(db, user, idempotency_key)) is not None:
                return await _replayed(db, found, fingerprint)
            raise
    else:
        plan = _plan_direct_booking(user, request, await price_order(db, settings, request))
    return await _book_plan(db, groups, user, request, plan, idempotency_key, fingerprint)


async def _book_plan(db: Database, groups: GroupBooker | None, user: CurrentUser, request: BookingRequest,
                     plan: "_Plan", idempotency_key: str | None, fingerprint: str | None) -> dict:
    order_row = {
        "user_id": user.id, "event_date_id": request.event_date_id, "customer_name": request.customer_name,
        "payment_source": request.payment_source, "total_tickets": plan.total_tickets,
        "amount_cents": plan.amount_cents, "idempotency_key": idempotency_key,
        "request_hash": fingerprint,
    }

    try:
        order_id, issued = await _write_order(db, groups, request.event_date_id, order_row, plan)
    except IntegrityError as exc:
        if idempotency_key and is_unique_violation(exc, "uq_order_user_id_idempotency_key"):
            return await replay(db, user, idempotency_key, fingerprint)
        if is_unique_violation(exc, "uniq_ticket_eventdate_seat"):
            raise SeatAlreadyTaken() from None
        raise
    except (SeatAlreadyTaken, InsufficientInventory):
        # A group refuses an order whose seats or tickets are gone without inserting it, so the unique key never
        # meets a retry whose first request booked them (its answer lost on the way): that retry finds its order.
        if idempotency_key and (found := await _find_keyed_order(db, user, idempotency_key)) is not None:
            return await _replayed(db, found, fingerprint)
        raise
    except HoldExpired:
        await _expire_hold_now(db, request.hold_id, request.event_date_id)
        raise
    # Answered from what the transaction wrote, without reading it back.
    return {
        "order_id": order_id,
        "total_amount": plan.amount_cents,
        "tickets": [
            {"id": t.id, "ticket_type": plan.type_names[t.ticket_type_id], "seat_label": plan.seat_labels.get(t.seat_id),
             "to_name": request.customer_name}
            for t in sorted(issued, key=lambda t: t.id)
        ],
    }


async def _write_order(db: Database, groups: GroupBooker | None, event_date_id: int, order_row: dict,
                       plan: "_Plan") -> tuple[int, list]:
    """The order and what its plan writes, in a group's transaction or in one of its own: the order's id and the
    issued tickets."""

    async def transaction(conn: AsyncConnection) -> tuple[int, list]:
        now = utcnow()
        order_id = await repository.insert_order(conn, values={**order_row, "created_at": now})
        issued = await plan.write(conn, order_id, now)
        await record_change(conn, event_date_id=event_date_id, kind=SOLD, seat_ids=plan.seat_ids, now=now)
        return order_id, issued

    if groups is not None and plan.groupable_tickets is not None:
        try:
            return await groups.book(event_date_id, order_row, plan.groupable_tickets)
        except TierSoldOut as exc:
            raise too_few_left(next(c for c in plan.claims if c.ticket_type_id == exc.ticket_type_id)) from None
        except BookAlone:
            pass
    return await db.run_transaction(transaction)


@dataclass
class _Plan:
    """What one booking transaction writes after inserting the order row."""

    total_tickets: int
    amount_cents: int
    seat_ids: list[int] | None
    write: Callable[[AsyncConnection, int, datetime], Awaitable[list]]  # -> the issued tickets (id, type, seat)
    type_names: dict[int, str]
    seat_labels: dict[int, str]
    # Orders without a hold can share a transaction with others (booking/grouping.py): their ticket rows.
    groupable_tickets: list[dict] | None = None
    claims: list[TierClaim] = field(default_factory=list)  # GA inventory a direct booking takes


def _plan_direct_booking(user: CurrentUser, request: BookingRequest, priced: "PricedOrder") -> _Plan:
    """Order lines priced from the catalog: insert the tickets, then take the GA inventory."""
    seat_ids = [t["seat_id"] for t in priced.tickets if t["seat_id"] is not None] or None
    ticket_rows = [
        {**line, "user_id": user.id, "event_id": priced.event_id, "event_date_id": request.event_date_id,
         "to_name": request.customer_name}
        for line in priced.tickets
    ]

    async def write(conn: AsyncConnection, order_id: int, now: datetime) -> list:
        if seat_ids:
            await free_seats_of_expired_holds(conn, request.event_date_id, seat_ids, now)
        issued = await repository.insert_tickets(
            conn, [{**row, "order_id": order_id, "created_at": now} for row in ticket_rows]
        )
        await take_tiers(conn, request.event_date_id, priced.claims, now)
        return issued

    return _Plan(len(priced.tickets), priced.amount_cents, seat_ids, write, priced.type_names, priced.seat_labels,
                 groupable_tickets=ticket_rows, claims=priced.claims)


async def _plan_hold_conversion(db: Database, user: CurrentUser, request: BookingRequest) -> _Plan:
    """The hold's reserved inventory becomes the order's tickets, if the hold is still live."""
    async with db.read() as conn:
        found = await holds_repository.get_hold(conn, request.hold_id)
        if found is None or found.user_id != user.id:
            raise NotFound(f"Hold {request.hold_id} does not exist.")
        if found.event_date_id != request.event_date_id:
            raise HoldNotActive(f"Hold {request.hold_id} is for another show (eventDateId {found.event_date_id}).")
        tiers = await holds_repository.hold_tiers(conn, request.hold_id)
        seats = await holds_repository.held_seats(conn, request.hold_id)
        event_id = (await repository.get_show(conn, found.event_date_id)).event_id
    if found.status == "converted":
        raise HoldNotActive("This hold was already booked.")
    if found.status == "released":
        raise HoldNotActive("This hold was released; place a new one.")

    async def write(conn: AsyncConnection, order_id: int, now: datetime) -> list:
        if not await holds_repository.convert_hold(conn, hold_id=found.id, order_id=order_id, now=now):
            raise HoldExpired()
        if seats and await holds_repository.sell_held_seats(
            conn, hold_id=found.id, order_id=order_id, to_name=request.customer_name
        ) != len(seats):
            raise HoldExpired()  # an expiry clean-up elsewhere freed a seat first: the hold is void
        return list(seats) + await repository.insert_tickets(conn, [
            {"order_id": order_id, "user_id": user.id, "event_id": event_id, "event_date_id": found.event_date_id,
             "ticket_type_id": t.ticket_type_id, "seat_id": None, "price_cents": t.price_cents,
             "to_name": request.customer_name, "created_at": now}
            for t in tiers for _ in range(t.quantity)
        ])

    tickets = len(seats) + sum(t.quantity for t in tiers)
    names = {t.ticket_type_id: t.ticket_type for t in [*tiers, *seats]}
    labels = {s.seat_id: seat_label(s.section, s.row, s.number) for s in seats}
    return _Plan(tickets, found.amount_cents, [s.seat_id for s in seats] or None, write, names, labels)


async def _expire_hold_now(db: Database, hold_id: int | None, event_date_id: int) -> None:
    """A failed conversion of an expired hold gives its inventory back right away rather than on next demand."""
    if hold_id is None:
        return

    async def write(conn: AsyncConnection) -> None:
        await end_hold(conn, hold_id=hold_id, event_date_id=event_date_id, status="expired", now=utcnow(),
                       only_if_expired=True)

    await db.run_transaction(write)


@dataclass(frozen=True)
class ShowTerms:
    """What pricing needs to know about a show: fixed once the show is on sale (nothing in the API edits it)."""

    event_id: int
    event_date: datetime
    seating_mode: str
    tiers: dict[int, sa.Row]  # GA: ticket_type_id -> (name, price_cents)


async def _load_terms(db: Database, event_date_id: int) -> ShowTerms | None:
    async with db.lookup() as conn:
        show = await repository.get_show(conn, event_date_id)
        if show is None:
            return None
        tiers = await repository.tier_prices(conn, event_date_id) if show.seating_mode == "GA" else {}
    return ShowTerms(show.event_id, show.event_date, show.seating_mode, tiers)


# Terms are read once per show and process every few seconds instead of twice per booking. They decide no
# inventory (the booking transaction does), and "past" is still judged against the clock on every request.
_terms = ShowCopies(_load_terms, ttl_s=5.0, max_shows=4096)


async def show_terms(db: Database, event_date_id: int) -> ShowTerms | None:
    return await _terms.get(db, event_date_id)


async def _show_on_sale(db: Database, settings: Settings, event_date_id: int, wanted: int) -> ShowTerms:
    show = await show_terms(db, event_date_id)
    if show is None:
        raise NotFound(f"Event date {event_date_id} does not exist.")
    if show.event_date <= utcnow():
        raise EventDatePast("This show has already taken place; tickets are no longer on sale.")
    if wanted > settings.max_tickets_per_order:
        raise OrderLimitExceeded(
            f"An order may hold at most {settings.max_tickets_per_order} tickets; this one asks for {wanted}."
        )
    return show


async def price_order(db: Database, settings: Settings, request: BookingRequest) -> PricedOrder:
    """Check the request against the show and price every ticket from the database (never from the client).

    These reads decide nothing about inventory: prices, tiers and seats of a show do not change while it is on
    sale, and the transaction in `book` is what claims the tickets; so they need no common snapshot either.
    """
    wanted = sum(t.quantity for t in request.tiers) if request.tiers else len(request.seats or [])
    show = await _show_on_sale(db, settings, request.event_date_id, wanted)
    priced = PricedOrder(event_id=show.event_id)
    if request.tiers:
        if show.seating_mode != "GA":
            raise SeatingModeMismatch("This show has assigned seats: book `seats`, not `tiers`.")
        _price_tiers(show, request, priced)
    else:
        if show.seating_mode != "SEATED":
            raise SeatingModeMismatch("This show is general admission: book `tiers`, not `seats`.")
        await _price_seats(db, request, priced)
    return priced


def _price_tiers(show: ShowTerms, request: BookingRequest, priced: PricedOrder) -> None:
    for tier in sorted(request.tiers or [], key=lambda t: t.ticket_type_id):
        found = show.tiers.get(tier.ticket_type_id)
        if found is None:
            raise UnknownTicketType(f"Ticket type {tier.ticket_type_id} is not on sale for this show.")
        priced.claims.append(TierClaim(tier.ticket_type_id, found.name, tier.quantity, found.price_cents))
        priced.type_names[tier.ticket_type_id] = found.name
        priced.tickets.extend(
            {"ticket_type_id": tier.ticket_type_id, "seat_id": None, "price_cents": found.price_cents}
            for _ in range(tier.quantity)
        )


async def _load_seat_map(db: Database, event_date_id: int) -> SeatMap:
    async with db.read() as conn:  # tens of thousands of rows: not inline on SQLite (see Database.lookup)
        return await repository.seats_of_show(conn, event_date_id)


# The seats of a show with their tier and price, per process: a seated booking then prices its seats without a
# query. Few shows are on sale at once, so only the last two shows are kept (~1.5 MB for 60,000 seats).
_seat_maps = ShowCopies(_load_seat_map, ttl_s=60.0, max_shows=2)


async def _price_seats(db: Database, request: BookingRequest, priced: PricedOrder) -> None:
    on_sale = await _seat_maps.get(db, request.event_date_id)
    for requested in sorted(request.seats or [], key=lambda s: s.seat_id):
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
        priced.type_names[found.ticket_type_id] = found.ticket_type
        priced.seat_labels[requested.seat_id] = seat_label(found.section, found.row, found.number)


_seat_picker = SeatPicker(_seat_maps.get)
_PICK_ATTEMPTS = 4


async def _book_picked_seats(
    db: Database, settings: Settings, groups: GroupBooker | None, user: CurrentUser, request: BookingRequest,
    idempotency_key: str | None, fingerprint: str | None,
) -> dict:
    async def book_chosen(chosen: BookingRequest, show: ShowTerms) -> dict:
        priced = PricedOrder(event_id=show.event_id)
        await _price_seats(db, chosen, priced)
        return await _book_plan(db, groups, user, chosen, _plan_direct_booking(user, chosen, priced), idempotency_key,
                                fingerprint)

    return await claim_picked_seats(db, settings, request, book_chosen)


async def claim_picked_seats(db: Database, settings: Settings, request: BookingRequest,
                             claim: Callable[[BookingRequest, ShowTerms], Awaitable[T]]) -> T:
    """`pickSeats` (a booking or a hold): seats picked from this process's view of the show (booking/seat_picker.py),
    then claimed like seats the buyer chose: `claim` gets the request with them as its `seats`, and the show's terms
    (checked here: on sale, SEATED, not too many seats). Seats refused there (another process sold them since the
    view last heard) are picked again, a few times at most."""
    wanted = request.pick_seats
    show = await _show_on_sale(db, settings, request.event_date_id, wanted.quantity)
    if show.seating_mode != "SEATED":
        raise SeatingModeMismatch("This show is general admission: book `tiers`, not `pickSeats`.")
    for attempt in range(_PICK_ATTEMPTS):
        picking = await _seat_picker.pick(db, request.event_date_id, quantity=wanted.quantity,
                                          ticket_type_id=wanted.ticket_type_id, section=wanted.section,
                                          after_refusal=attempt > 0)
        with picking as seat_ids:
            try:
                return await claim(request.model_copy(
                    update={"pick_seats": None, "seats": [SeatRequest(seat_id=s) for s in seat_ids]}), show)
            except SeatAlreadyTaken:
                continue
    raise SeatAlreadyTaken("Other buyers took the seats picked for you; try again.")


async def _find_keyed_order(db: Database, user: CurrentUser, idempotency_key: str):
    async with db.read() as conn:
        return await orders_repository.find_by_idempotency_key(conn, user_id=user.id, key=idempotency_key)


async def replay(db: Database, user: CurrentUser, idempotency_key: str, fingerprint: str) -> dict:
    """The answer to a retried request: the order its key created first, if the body is the same."""
    found = await _find_keyed_order(db, user, idempotency_key)
    if found is None:  # the conflicting order vanished (rolled back): nothing was booked, the client may retry
        raise ServiceUnavailable("The first request with this Idempotency-Key did not complete; retry.")
    return await _replayed(db, found, fingerprint)


async def _replayed(db: Database, found, fingerprint: str) -> dict:
    """The answer to a retry whose key's order was found: that order, if the body is the same."""
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
