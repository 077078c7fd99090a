"""Browsing: the events list, one show, and what is still available."""

import time
from contextlib import aclosing
from datetime import datetime, timedelta

import orjson
from pydantic import TypeAdapter

from ticketbooth.catalog import repository
from ticketbooth.catalog.cache import VOLATILE_TTL_S, RenderCache, Rendered, build
from ticketbooth.catalog.schemas import EventOut
from ticketbooth.db.database import Database
from ticketbooth.errors import NotFound
from ticketbooth.holds.repository import expired_held_quantities
from ticketbooth.kit import _money, utcnow


def seat_label(section: str, row: str, number: int) -> str:
    return f"{section}-{row}-{number}"


async def list_events(db: Database, *, transaction_timeout_s: float) -> list[dict]:
    now = utcnow()
    async with db.catalog_read() as conn:  # may be a replica: browsing only, decides no sale
        events = await repository.list_events(conn)
        dates = await repository.list_dates(conn)
        ga = await repository.ga_summaries(conn)
        seated = await repository.seated_summaries(
            conn, now, settled_before=_settled_before(now, transaction_timeout_s))

    dates_by_event: dict[int, list[dict]] = {}
    for d in dates:
        if d.seating_mode == "GA":
            summary = ga.get(d.id)
            price_from, left = (summary.price_from, summary.remaining) if summary else (None, 0)
        else:
            price_from, left = seated.get(d.id, (None, 0))
        dates_by_event.setdefault(d.event_id, []).append(
            {
                "id": d.id,
                "date": d.event_date,
                "venue_name": d.venue_name,
                "seating_mode": d.seating_mode,
                "price_from": price_from,
                "sold_out": not left,
            }
        )
    return [{**e._asdict(), "dates": dates_by_event.get(e.id, [])} for e in events]


async def get_event_date(db: Database, event_date_id: int, *, max_tickets_per_order: int) -> dict:
    async with db.lookup(catalog=True) as conn:  # may be a replica: browsing only, decides no sale
        row = await repository.get_event_date(conn, event_date_id)
    if row is None:
        raise NotFound(f"Event date {event_date_id} does not exist.")
    return {
        "id": row.id,
        "event": {"id": row.event_id, "title": row.event_title, "description": row.event_description},
        "date": row.event_date,
        "venue": {"id": row.venue_id, "name": row.venue_name, "capacity": row.venue_capacity},
        "seating_mode": row.seating_mode,
        "max_tickets_per_order": max_tickets_per_order,
    }


async def current_state(db: Database, event_date_id: int, seat_ids: list[int]) -> dict:
    """What changed seats (SEATED) or all tiers (GA) look like right now."""
    async with db.read() as conn:
        row = await repository.get_event_date(conn, event_date_id)
        now = utcnow()
        if row.seating_mode == "SEATED":
            seats = await repository.seat_map(conn, event_date_id, only=seat_ids)
            states = [(s.id, seat_status(s.ticket_id, s.order_id, s.hold_expires_at, now)) for s in seats]
            return {"seating_mode": "SEATED",
                    "seats": [{"seat_id": i, "status": st, "available": st == "available"} for i, st in states]}
        return {"seating_mode": "GA", "tiers": await _ga_tiers(conn, event_date_id, now)}


async def _ga_tiers(conn, event_date_id: int, now: datetime) -> list[dict]:
    """The tiers of a GA date with what is left of each (price in cents)."""
    tiers = await repository.ga_tiers(conn, event_date_id)
    # Quantities of expired holds go back to remaining on the next demand; they are available now.
    expired = await expired_held_quantities(conn, event_date_id=event_date_id, now=now)
    return [{"id": t.id, "name": t.name, "price": t.price_cents,
             "remaining": t.remaining_tickets + expired.get(t.id, 0)} for t in tiers]


def seat_status(ticket_id: int | None, order_id: int | None, hold_expires_at, now) -> str:
    if ticket_id is None:
        return "available"
    if order_id is not None:
        return "sold"
    return "held" if hold_expires_at is not None and hold_expires_at > now else "available"


# ---- Cached, pre-serialized bodies of the HTTP routes (see catalog/cache.py) ----------------------------------
# The availability renderer builds the JSON of its response model directly (camelCase keys, money in currency
# units) without validating one model per seat; tests compare it with the model.


async def events_body(db: Database, cache: RenderCache, *, ttl_s: float, transaction_timeout_s: float) -> Rendered:
    """The events list, rendered at most once per `ttl_s` per process: up to `ttl_s` stale. A list of events is
    small, so it goes through its response model like any other response."""

    async def render() -> Rendered:
        started = time.monotonic()
        events = await list_events(db, transaction_timeout_s=transaction_timeout_s)
        body = _EVENTS.dump_json(_EVENTS.validate_python(events), by_alias=True)
        return await build(body, etag_prefix="e", valid_until=started + ttl_s, started=started)

    return await cache.get("events", render)


_EVENTS = TypeAdapter(list[EventOut])


async def availability_body(db: Database, cache: RenderCache, event_date_id: int, *,
                            transaction_timeout_s: float) -> Rendered:
    """The availability of one date, rendered once per inventory version and reused while the key is current.

    Every request asks the primary for the key (one small indexed query); only the render is shared:
    * key = (date, newest change id of the date, earliest expiry still ahead among its active holds), so a
      sale, hold or release (each writes a change row) or a hold running out makes the next request render.
    * Late commits: change ids are assigned at INSERT and committed later, so a transaction with a lower id
      can still commit after we saw the newest one, without changing the key. Such a transaction began
      before the version row was inserted, which happened within one transaction timeout of the version
      row's created_at (its transaction took `now` when it began), and every transaction is over one
      timeout after it began. So a render that starts more than 2 x db_transaction_timeout_s after the
      version's created_at has seen every change below the version: it is valid for as long as its key is
      current. Before that, a body is served for at most VOLATILE_TTL_S (1 s) after its render started:
      the one staleness bound of this cache, and only for changes that commit out of id order.
    """
    now = utcnow()
    async with db.lookup() as conn:  # the primary, always, never a replica; one statement: no BEGIN needed
        v = await repository.inventory_version(conn, event_date_id, now)
    version = v.version or 0

    async def render() -> Rendered:
        started, started_wall = time.monotonic(), utcnow()
        async with db.read() as conn:  # after the key query: sees at least the key's version
            body = await _availability_json(conn, event_date_id)
        settled = not version or v.version_at < _settled_before(started_wall, transaction_timeout_s)
        expiry = "" if v.next_expiry is None else v.next_expiry.strftime("%Y%m%d%H%M%S")
        return await build(body, etag_prefix=f"a{event_date_id}.{version}.{expiry}",
                           valid_until=None if settled else started + VOLATILE_TTL_S, started=started)

    return await cache.get((event_date_id, version, v.next_expiry), render, group=event_date_id)


def _settled_before(now: datetime, transaction_timeout_s: float) -> datetime:
    """Versions written before this are settled: no change below them can still commit (see availability_body)."""
    return now - timedelta(seconds=2 * transaction_timeout_s)


async def _availability_json(conn, event_date_id: int) -> bytes:
    row = await repository.get_event_date(conn, event_date_id)
    if row is None:
        raise NotFound(f"Event date {event_date_id} does not exist.")
    now = utcnow()
    if row.seating_mode == "GA":
        tiers = await _ga_tiers(conn, event_date_id, now)
        return orjson.dumps({"seatingMode": "GA", "tiers": [{**t, "price": _money(t["price"])} for t in tiers]})
    # Positional unpacking: attribute access on 60,000 rows alone costs more than the whole JSON encoding.
    # Each row of seats is encoded as soon as it is complete, so only one row's dicts exist at a time, and the seats
    # are fetched a part at a time (the same bytes as encoding the whole map at once): for 60,000 seats the render's
    # peak allocation went 43 -> 34 MB with the first, and to twice the body (~19 MB) with the second.
    out = bytearray(b'{"seatingMode":"SEATED","sections":[')
    seats: list[dict] = []
    section = row_name = None
    money: dict[int, int | float] = {}
    async with aclosing(repository.whole_seat_map(conn, event_date_id)) as parts:
        async for rows in parts:
            for (seat_id, seat_section, seat_row, number, accessible, ticket_type_id, ticket_type, price_cents,
                 ticket_id, order_id, hold_expires_at) in rows:
                if seat_section != section:
                    if section is not None:
                        out += orjson.dumps(seats) + b"}]},"
                    out += b'{"section":' + orjson.dumps(seat_section) + b',"rows":[{"row":' + orjson.dumps(seat_row)
                    out += b',"seats":'
                    section, row_name, seats = seat_section, seat_row, []
                elif seat_row != row_name:
                    out += orjson.dumps(seats) + b'},{"row":' + orjson.dumps(seat_row) + b',"seats":'
                    row_name, seats = seat_row, []
                if ticket_id is None:
                    status = "available"
                elif order_id is not None:
                    status = "sold"
                else:
                    status = "held" if hold_expires_at is not None and hold_expires_at > now else "available"
                price = money.get(price_cents)
                if price is None:
                    price = money[price_cents] = _money(price_cents)
                seats.append({
                    "seatId": seat_id,
                    "label": f"{seat_section}-{seat_row}-{number}",
                    "number": number,
                    "ticketType": ticket_type,
                    "ticketTypeId": ticket_type_id,
                    "price": price,
                    "available": status == "available",
                    "status": status,
                    "accessible": bool(accessible),
                })
    if section is not None:
        out += orjson.dumps(seats) + b"}]}"
    out += b"]}"
    return bytes(out)
