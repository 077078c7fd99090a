"""Browsing: the events list, one show, and what is still available."""

from itertools import groupby

from ticketbooth.catalog import repository
from ticketbooth.db.database import Database
from ticketbooth.errors import NotFound
from ticketbooth.holds.repository import expired_held_quantities
from ticketbooth.kit import utcnow


def seat_label(section: str, row: str, number: int) -> str:
    return f"{section}-{row}-{number}"


async def list_events(db: Database) -> list[dict]:
    async with db.catalog_read() as conn:  # may be a replica: browsing only, decides no sale
        events = await repository.list_events(conn)
        dates = await repository.list_dates(conn)
        ga = await repository.ga_summaries(conn)
        seated = await repository.seated_summaries(conn, utcnow())

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
    async with db.catalog_read() as conn:  # may be a replica: browsing only, decides no sale
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


async def get_availability(db: Database, event_date_id: int) -> dict:
    async with db.read() as conn:
        row = await repository.get_event_date(conn, event_date_id)
        if row is None:
            raise NotFound(f"Event date {event_date_id} does not exist.")
        now = utcnow()
        if row.seating_mode == "GA":
            tiers = await repository.ga_tiers(conn, event_date_id)
            # Quantities of expired holds go back to remaining on the next demand; they are available now.
            expired = await expired_held_quantities(conn, event_date_id=event_date_id, now=now)
            return {
                "seating_mode": "GA",
                "tiers": [
                    {"id": t.id, "name": t.name, "price": t.price_cents,
                     "remaining": t.remaining_tickets + expired.get(t.id, 0)}
                    for t in tiers
                ],
            }
        seats = await repository.seat_map(conn, event_date_id)

    sections = []
    for section, section_seats in groupby(seats, key=lambda s: s.section):
        rows = [
            {"row": row_name, "seats": [_seat_out(s, now) for s in row_seats]}
            for row_name, row_seats in groupby(section_seats, key=lambda s: s.row)
        ]
        sections.append({"section": section, "rows": rows})
    return {"seating_mode": "SEATED", "sections": sections}


async def current_state(db: Database, event_date_id: int, seat_ids: list[int]) -> dict:
    """What changed seats (SEATED) or all tiers (GA) look like right now."""
    async with db.read() as conn:
        row = await repository.get_event_date(conn, event_date_id)
        if row.seating_mode == "SEATED":
            now = utcnow()
            seats = await repository.seat_map(conn, event_date_id, only=seat_ids)
            states = [(s.id, seat_status(s.ticket_id, s.order_id, s.hold_expires_at, now)) for s in seats]
            return {"seating_mode": "SEATED",
                    "seats": [{"seat_id": i, "status": st, "available": st == "available"} for i, st in states]}
    return await get_availability(db, event_date_id)


def seat_status(ticket_id: int | None, order_id: int | None, hold_expires_at, now) -> str:
    if ticket_id is None:
        return "available"
    if order_id is not None:
        return "sold"
    return "held" if hold_expires_at is not None and hold_expires_at > now else "available"


def _seat_out(s, now) -> dict:
    status = seat_status(s.ticket_id, s.order_id, s.hold_expires_at, now)
    return {
        "seat_id": s.id,
        "label": seat_label(s.section, s.row, s.number),
        "number": s.number,
        "ticket_type": s.ticket_type,
        "ticket_type_id": s.ticket_type_id,
        "price": s.price_cents,
        "available": status == "available",
        "status": status,
        "accessible": s.is_accessible,
    }
