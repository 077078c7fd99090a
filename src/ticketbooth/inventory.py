"""Inventory moves shared by bookings and holds, each run inside the caller's transaction.

GA: tickets leave `remaining_tickets` only through the conditional UPDATE (`remaining >= qty`); when it fails,
quantities of expired holds of that tier are given back first (a hold that expired never blocks anyone), then
the UPDATE is tried once more. Seats: the unique constraint on ticket (event_date_id, seat_id) decides; rows
of expired holds on the wanted seats are deleted first.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.booking import repository as booking_repository
from ticketbooth.errors import InsufficientInventory
from ticketbooth.holds import repository as holds_repository
from ticketbooth.live.repository import RELEASED, record_change


@dataclass(frozen=True)
class TierClaim:
    ticket_type_id: int
    name: str
    quantity: int
    price_cents: int


async def take_tiers(conn: AsyncConnection, event_date_id: int, claims: list[TierClaim], now: datetime) -> None:
    """Take every claim or raise InsufficientInventory (the caller's transaction then rolls back)."""
    for claim in sorted(claims, key=lambda c: c.ticket_type_id):  # one lock order: no deadlock between orders
        args = {"event_date_id": event_date_id, "ticket_type_id": claim.ticket_type_id, "quantity": claim.quantity}
        if await booking_repository.take_ga_inventory(conn, **args):
            continue
        if await reclaim_expired_holds(conn, event_date_id=event_date_id, ticket_type_id=claim.ticket_type_id,
                                       now=now) and await booking_repository.take_ga_inventory(conn, **args):
            continue
        raise too_few_left(claim)


def too_few_left(claim: TierClaim) -> InsufficientInventory:
    """The 409 of an order that asked for more of a tier than is left."""
    return InsufficientInventory(f"Not enough tickets left for {claim.name}.")


async def free_seats_of_expired_holds(conn: AsyncConnection, event_date_id: int, seat_ids: list[int],
                                      now: datetime) -> None:
    await holds_repository.free_expired_seat_holds(conn, event_date_id=event_date_id, seat_ids=seat_ids, now=now)


async def end_hold(conn: AsyncConnection, *, hold_id: int, event_date_id: int, status: str, now: datetime,
                   only_if_expired: bool = False) -> bool:
    """End an active hold and give back what it held; False when another transaction ended it first."""
    ended, seat_ids = await holds_repository.end_hold(
        conn, hold_id=hold_id, status=status, now=now, only_if_expired=only_if_expired
    )
    if ended:
        await record_change(conn, event_date_id=event_date_id, kind=RELEASED, seat_ids=seat_ids or None, now=now)
    return ended


async def reclaim_expired_holds(conn: AsyncConnection, *, event_date_id: int, ticket_type_id: int,
                                now: datetime) -> bool:
    reclaimed = False
    for hold_id in await holds_repository.expired_holds_with_tier(
        conn, event_date_id=event_date_id, ticket_type_id=ticket_type_id, now=now
    ):
        reclaimed |= await end_hold(conn, hold_id=hold_id, event_date_id=event_date_id, status="expired", now=now,
                                    only_if_expired=True)
    return reclaimed
