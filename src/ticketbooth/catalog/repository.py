"""SQL for events, dates, venues and their live inventory."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.db.database import rows_in_parts
from ticketbooth.db.tables import (
    availability_change,
    event,
    event_date,
    event_date_has_seat,
    event_date_has_ticket_type,
    hold,
    seat,
    ticket,
    ticket_type,
    venue,
)
from ticketbooth.holds.repository import ticket_keeps_its_seat


async def list_events(conn: AsyncConnection) -> list[sa.Row]:
    return (await conn.execute(sa.select(event).order_by(event.c.id))).all()


async def list_dates(conn: AsyncConnection) -> list[sa.Row]:
    query = (
        sa.select(
            event_date.c.id,
            event_date.c.event_id,
            event_date.c.event_date,
            event_date.c.seating_mode,
            venue.c.name.label("venue_name"),
        )
        .join(venue, venue.c.id == event_date.c.id_venue)
        .order_by(event_date.c.event_date, event_date.c.id)
    )
    return (await conn.execute(query)).all()


async def ga_summaries(conn: AsyncConnection) -> dict[int, sa.Row]:
    """Per GA date: lowest price and tickets left."""
    inv = event_date_has_ticket_type
    query = sa.select(
        inv.c.event_date_id,
        sa.func.min(inv.c.price_cents).label("price_from"),
        sa.func.sum(inv.c.remaining_tickets).label("remaining"),
    ).group_by(inv.c.event_date_id)
    return {r.event_date_id: r for r in (await conn.execute(query)).all()}


async def seated_summaries(conn: AsyncConnection, now: datetime, *, settled_before: datetime
                           ) -> dict[int, tuple[int, int]]:
    """Per seated date: (lowest price, 1 if a seat is left else 0); seats of expired holds count as left.

    Nothing here counts sold seats: with a million tickets that cost hundreds of milliseconds per render.
    Whether a seat is left stops at the first free seat (index probes), except on a sold-out show, where it
    probes every seat; so it is asked again only for dates whose inventory key (newest change id, next hold
    expiry: what availability bodies are keyed by, catalog/cache.py) moved, or whose answer was taken while a
    change below the key could still commit (its version is newer than `settled_before`). The lowest price of
    a show is fixed.
    """
    inv = event_date_has_seat
    keys = {r.id: r for r in (await conn.execute(_SEATED_KEYS, {"now": now})).all()}
    known_left = _seats_left.setdefault(str(conn.engine.url), {})
    ask = [date_id for date_id, k in keys.items()
           if (m := known_left.get(date_id)) is None or m.key != (k.version, k.next_expiry) or not m.settled]
    if ask:
        taken = (
            sa.select(ticket.c.id)
            .outerjoin(hold, hold.c.id == ticket.c.hold_id)
            .where(ticket.c.event_date_id == inv.c.event_date_id, ticket.c.seat_id == inv.c.seat_id,
                   ticket_keeps_its_seat(now))
        )
        free_seat = sa.select(inv.c.seat_id).where(inv.c.event_date_id == event_date.c.id, ~taken.exists())
        left = sa.select(event_date.c.id, free_seat.exists().label("left")).where(event_date.c.id.in_(ask))
        for date_id, flag in (await conn.execute(left)).all():
            k = keys[date_id]
            known_left[date_id] = _SeatsLeft((k.version, k.next_expiry), int(bool(flag)),
                                             settled=k.version_at is None or k.version_at < settled_before)
    known = _lowest_seat_price.setdefault(str(conn.engine.url), {})
    missing = [date_id for date_id in keys if date_id not in known]
    if missing:
        lowest = sa.select(inv.c.event_date_id, sa.func.min(inv.c.price_cents)).where(
            inv.c.event_date_id.in_(missing)).group_by(inv.c.event_date_id)
        known.update((await conn.execute(lowest)).all())
    return {date_id: (known[date_id], known_left[date_id].left)
            for date_id in keys if date_id in known and date_id in known_left}


@dataclass(frozen=True, slots=True)
class _SeatsLeft:
    key: tuple
    left: int
    settled: bool


# Per database: whether a seated date has a seat left, under the key it was answered for.
_seats_left: dict[str, dict[int, _SeatsLeft]] = {}
# The lowest seat price of a show never changes (seats and prices are fixed once it is on sale): per database.
_lowest_seat_price: dict[str, dict[int, int]] = {}


_EVENT_DATE = (  # built once: the event page and every availability render read it
    sa.select(
        event_date.c.id,
        event_date.c.event_date,
        event_date.c.seating_mode,
        event.c.id.label("event_id"),
        event.c.title.label("event_title"),
        event.c.description.label("event_description"),
        venue.c.id.label("venue_id"),
        venue.c.name.label("venue_name"),
        venue.c.capacity.label("venue_capacity"),
    )
    .join(event, event.c.id == event_date.c.event_id)
    .join(venue, venue.c.id == event_date.c.id_venue)
    .where(event_date.c.id == sa.bindparam("event_date_id"))
)


async def get_event_date(conn: AsyncConnection, event_date_id: int) -> sa.Row | None:
    return (await conn.execute(_EVENT_DATE, {"event_date_id": event_date_id})).first()


async def ga_tiers(conn: AsyncConnection, event_date_id: int) -> list[sa.Row]:
    inv = event_date_has_ticket_type
    query = (
        sa.select(ticket_type.c.id, ticket_type.c.name, inv.c.price_cents, inv.c.remaining_tickets)
        .join(ticket_type, ticket_type.c.id == inv.c.ticket_type_id)
        .where(inv.c.event_date_id == event_date_id)
        .order_by(ticket_type.c.id)
    )
    return (await conn.execute(query)).all()


async def seat_map(conn: AsyncConnection, event_date_id: int, only: list[int]) -> list[sa.Row]:
    """The seats `only` of the date with their state."""
    return (await conn.execute(_seat_map_query(event_date_id).where(event_date_has_seat.c.seat_id.in_(only)))).all()


def whole_seat_map(conn: AsyncConnection, event_date_id: int) -> AsyncIterator[Sequence[sa.Row]]:
    """Every seat of the date with its state, in seat id order, a part at a time (db/database.py rows_in_parts)."""
    return rows_in_parts(conn, _seat_map_query(event_date_id))


def _seat_map_query(event_date_id: int) -> sa.Select:
    inv = event_date_has_seat
    query = (
        sa.select(
            seat.c.id,
            seat.c.section,
            seat.c.row,
            seat.c.number,
            seat.c.is_accessible,
            ticket_type.c.id.label("ticket_type_id"),
            ticket_type.c.name.label("ticket_type"),
            inv.c.price_cents,
            ticket.c.id.label("ticket_id"),
            ticket.c.order_id,
            hold.c.expires_at.label("hold_expires_at"),
        )
        .join(seat, seat.c.id == inv.c.seat_id)
        .join(ticket_type, ticket_type.c.id == inv.c.ticket_type_id)
        .outerjoin(ticket, sa.and_(ticket.c.event_date_id == inv.c.event_date_id, ticket.c.seat_id == inv.c.seat_id))
        .outerjoin(hold, hold.c.id == ticket.c.hold_id)
        .where(inv.c.event_date_id == event_date_id)
        .order_by(seat.c.id)
    )
    return query


async def inventory_version(conn: AsyncConnection, event_date_id: int, now: datetime) -> sa.Row:
    """One round trip, two index probes: what a cached availability body of the date is keyed by.

    version: the newest availability_change id of the date (None when none), version_at: its created_at,
    next_expiry: the earliest expiry still ahead of `now` among the date's active holds (None: no such hold).
    When that moment passes, or a hold's expiry is moved, next_expiry changes, and so does the key.
    """
    return (await conn.execute(sa.select(*_inventory_key(event_date_id, now)))).one()


def _inventory_key(event_date_id, now) -> tuple[sa.Label, ...]:
    """The columns of inventory_version for one date: an id, or event_date.c.id to have them for every date."""
    change = availability_change
    # Never correlated to an enclosing availability_change: the one around it in version_at.
    newest = (sa.select(sa.func.max(change.c.id)).where(change.c.event_date_id == event_date_id)
              .correlate_except(change).scalar_subquery())
    version_at = sa.select(change.c.created_at).where(change.c.id == newest).scalar_subquery()
    next_expiry = (
        sa.select(sa.func.min(hold.c.expires_at))
        .where(hold.c.event_date_id == event_date_id, hold.c.status == "active", hold.c.expires_at > now)
        .scalar_subquery()
    )
    return newest.label("version"), version_at.label("version_at"), next_expiry.label("next_expiry")


# Per seated date, its inventory key (inventory_version's columns).
_SEATED_KEYS = sa.select(event_date.c.id, *_inventory_key(event_date.c.id, sa.bindparam("now"))).where(
    event_date.c.seating_mode == "SEATED")
