"""Demo data dated relative to today, so the demo never goes stale.

Ticket type ids follow the spec (1 VIP, 2 FRONT_ROW, 3 GA); they and the roles come from the first migration.
"""

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.accounts.schemas import SignupRequest
from ticketbooth.accounts.service import register
from ticketbooth.accounts import repository as accounts_repository
from ticketbooth.db.database import Database
from ticketbooth.db.tables import (
    event,
    event_date,
    event_date_has_seat,
    event_date_has_ticket_type,
    order,
    seat,
    ticket,
    venue,
)
from ticketbooth.kit import utcnow

VIP, FRONT_ROW, GA = 1, 2, 3
DEMO_CUSTOMER = {"email": "demo@ticketbooth.dev", "username": "demo", "password": "demo-pass-123"}
DEMO_ADMIN = {"email": "admin@ticketbooth.dev", "username": "admin", "password": "admin-pass-123"}

SECTIONS = ("A", "B", "C", "D", "E", "F")
ROWS_PER_SECTION = 20
SEATS_PER_ROW = 20


def seat_tier(section: str, row: int) -> int:
    """Price zones of the Grand Hall: the front sections' first rows are VIP, the next ones FRONT_ROW."""
    if section in ("A", "B", "C"):
        if row <= 5:
            return VIP
        if row <= 12:
            return FRONT_ROW
    return GA


async def is_empty(db: Database) -> bool:
    async with db.read() as conn:
        return (await conn.execute(sa.select(sa.func.count()).select_from(event))).scalar_one() == 0


async def seed_demo(db: Database) -> None:
    await register(db, SignupRequest(first_name="Dana", last_name="Demo", **DEMO_CUSTOMER))
    admin = await register(db, SignupRequest(first_name="Ada", last_name="Admin", **DEMO_ADMIN))
    async with db.transaction() as conn:
        await accounts_repository.grant_role(conn, user_id=admin["id"], role_name="admin")
        await _seed_catalog(conn, box_office_user_id=admin["id"])


def _evening(days_from_now: int, hour: int = 20) -> datetime:
    return datetime.combine((utcnow() + timedelta(days=days_from_now)).date(), time(hour, 0))


async def _insert(conn: AsyncConnection, table: sa.Table, values: dict) -> int:
    return (await conn.execute(sa.insert(table).values(**values))).inserted_primary_key[0]


async def _seed_catalog(conn: AsyncConnection, *, box_office_user_id: int) -> None:
    arena = await _insert(conn, venue, {
        "name": "Riverside Arena", "description": "Open floor by the river.", "capacity": 5000,
        "venue_type": "arena", "accessible_wheelchair": True,
    })
    hall_capacity = len(SECTIONS) * ROWS_PER_SECTION * SEATS_PER_ROW
    hall = await _insert(conn, venue, {
        "name": "Grand Hall", "description": "Six seated sections facing the stage.", "capacity": hall_capacity,
        "venue_type": "concert_hall", "accessible_wheelchair": True,
    })
    cellar = await _insert(conn, venue, {
        "name": "The Cellar Club", "description": "Small, loud and close.", "capacity": 300,
        "venue_type": "club", "accessible_wheelchair": False,
    })
    await conn.execute(sa.insert(seat), [
        {"venue_id": hall, "section": s, "row": str(r), "number": n,
         "is_accessible": r == ROWS_PER_SECTION and n in (1, 2, SEATS_PER_ROW - 1, SEATS_PER_ROW)}
        for s in SECTIONS for r in range(1, ROWS_PER_SECTION + 1) for n in range(1, SEATS_PER_ROW + 1)
    ])
    hall_seats = (await conn.execute(
        sa.select(seat.c.id, seat.c.section, seat.c.row).where(seat.c.venue_id == hall).order_by(seat.c.id)
    )).all()

    festival = await _insert(conn, event, {
        "slug": "northern-lights-festival", "title": "Northern Lights Festival",
        "description": "Two nights of synth-pop and indie under the arena lights.",
    })
    symphony = await _insert(conn, event, {
        "slug": "symphony-under-the-stars", "title": "Symphony Under the Stars",
        "description": "The city orchestra plays film scores, from Star Wars to Dune.",
    })
    indie = await _insert(conn, event, {
        "slug": "indie-night-paper-lanterns", "title": "Indie Night: Paper Lanterns",
        "description": "An intimate club show. Sold out, as these always are.",
    })
    jazz = await _insert(conn, event, {
        "slug": "late-jazz-session", "title": "Late Jazz Session",
        "description": "A trio, a piano and a long night.",
    })

    async def ga_date(event_id: int, venue_id: int, days: int, tiers: dict[int, tuple[int, int]]) -> int:
        date_id = await _insert(conn, event_date, {
            "event_id": event_id, "id_venue": venue_id, "event_date": _evening(days), "seating_mode": "GA",
            "total_tickets": sum(capacity for capacity, _ in tiers.values()),
        })
        await conn.execute(sa.insert(event_date_has_ticket_type), [
            {"event_date_id": date_id, "ticket_type_id": tier, "max_quantity": capacity,
             "remaining_tickets": capacity, "price_cents": price, "number_people_included": 1}
            for tier, (capacity, price) in tiers.items()
        ])
        return date_id

    async def seated_date(event_id: int, days: int, prices: dict[int, int]) -> int:
        date_id = await _insert(conn, event_date, {
            "event_id": event_id, "id_venue": hall, "event_date": _evening(days, 19), "seating_mode": "SEATED",
            "total_tickets": hall_capacity,
        })
        await conn.execute(sa.insert(event_date_has_seat), [
            {"event_date_id": date_id, "seat_id": s.id, "ticket_type_id": tier,
             "price_cents": prices[tier]}
            for s in hall_seats for tier in [seat_tier(s.section, int(s.row))]
        ])
        return date_id

    await ga_date(festival, arena, 14, {VIP: (100, 14900), FRONT_ROW: (400, 8900), GA: (4500, 4950)})
    await seated_date(festival, 15, {VIP: 12000, FRONT_ROW: 8000, GA: 4500})
    await seated_date(symphony, 30, {VIP: 9500, FRONT_ROW: 6500, GA: 3500})
    sold_out = await ga_date(indie, cellar, 7, {VIP: (10, 6000), FRONT_ROW: (40, 4000), GA: (250, 2500)})
    await ga_date(jazz, cellar, 21, {GA: (300, 3000)})
    await _sell_everything(conn, sold_out, indie, box_office_user_id)


async def _sell_everything(conn: AsyncConnection, date_id: int, event_id: int, user_id: int) -> None:
    """Sell a date out through real orders, so tickets sold + remaining still equals capacity."""
    tiers = (await conn.execute(
        sa.select(event_date_has_ticket_type).where(event_date_has_ticket_type.c.event_date_id == date_id)
    )).all()
    now = utcnow()
    for tier in tiers:
        order_id = await _insert(conn, order, {
            "user_id": user_id, "event_date_id": date_id, "customer_name": "Box office allocation",
            "total_tickets": tier.remaining_tickets, "amount_cents": tier.remaining_tickets * tier.price_cents,
            "payment_source": "box-office", "created_at": now,
        })
        await conn.execute(sa.insert(ticket), [
            {"order_id": order_id, "user_id": user_id, "event_id": event_id, "event_date_id": date_id,
             "ticket_type_id": tier.ticket_type_id, "seat_id": None, "price_cents": tier.price_cents,
             "to_name": "Box office allocation", "created_at": now}
            for _ in range(tier.remaining_tickets)
        ])
        await conn.execute(
            sa.update(event_date_has_ticket_type)
            .where(event_date_has_ticket_type.c.event_date_id == date_id,
                   event_date_has_ticket_type.c.ticket_type_id == tier.ticket_type_id)
            .values(remaining_tickets=0)
        )
