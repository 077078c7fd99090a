"""Arrange test data directly in the database (the API has no endpoints to create shows)."""

import itertools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher

from ticketbooth.accounts.security import token_digest
from ticketbooth.db import tables as t
from ticketbooth.kit import utcnow
from tests.support.databases import TestDatabase

PASSWORD = "correct-horse-42"
_PASSWORD_HASH = PasswordHasher().hash(PASSWORD)
_counter = itertools.count(1)


@dataclass
class User:
    id: int
    email: str
    username: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Show:
    id: int
    event_id: int
    venue_id: int
    seat_ids: list[int]


class Factory:
    def __init__(self, db: TestDatabase):
        self.db = db

    def _insert(self, conn, table: sa.Table, **values) -> int:
        return conn.execute(sa.insert(table).values(**values)).inserted_primary_key[0]

    def user(self, *, admin: bool = False, token_expires_in: timedelta = timedelta(hours=1)) -> User:
        n = next(_counter)
        suffix = secrets.token_hex(3)
        email, username = f"user{n}-{suffix}@example.com", f"user{n}-{suffix}"
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with self.db.engine.begin() as conn:
            user_id = self._insert(
                conn, t.user, username=username, email=email, first_name="Test", last_name=f"User {n}",
                password_hash=_PASSWORD_HASH, created_at=now, updated_at=now,
            )
            roles = ["customer", "admin"] if admin else ["customer"]
            for role_id in conn.execute(sa.select(t.role.c.id).where(t.role.c.name.in_(roles))).scalars():
                conn.execute(sa.insert(t.role_has_user).values(role_id=role_id, user_id=user_id))
            conn.execute(sa.insert(t.auth_token).values(
                token_hash=token_digest(token), user_id=user_id, created_at=now, expires_at=now + token_expires_in
            ))
        return User(user_id, email, username, token)

    def _event_and_venue(self, conn, capacity: int) -> tuple[int, int]:
        n = next(_counter)
        event_id = self._insert(conn, t.event, slug=f"event-{n}-{secrets.token_hex(3)}", title=f"Test Event {n}",
                                description="A show for tests")
        venue_id = self._insert(conn, t.venue, name=f"Venue {n}", description="", capacity=capacity,
                                venue_type="arena", accessible_wheelchair=True)
        return event_id, venue_id

    def ga_show(self, tiers: dict[int, tuple[int, int]], *, days: float = 30) -> Show:
        """tiers: {ticket_type_id: (capacity, price_cents)}"""
        with self.db.engine.begin() as conn:
            event_id, venue_id = self._event_and_venue(conn, sum(c for c, _ in tiers.values()))
            date_id = self._insert(conn, t.event_date, event_id=event_id, id_venue=venue_id,
                                   total_tickets=sum(c for c, _ in tiers.values()),
                                   event_date=_when(days), seating_mode="GA")
            conn.execute(sa.insert(t.event_date_has_ticket_type), [
                {"event_date_id": date_id, "ticket_type_id": tier, "max_quantity": capacity,
                 "remaining_tickets": capacity, "price_cents": price, "number_people_included": 1}
                for tier, (capacity, price) in tiers.items()
            ])
        return Show(date_id, event_id, venue_id, [])

    def seated_show(self, rows: int = 2, per_row: int = 10, *, days: float = 30,
                    tier_of_row: dict[int, int] | None = None, prices: dict[int, int] | None = None) -> Show:
        """Section "A", rows 1..rows; by default row 1 is VIP (id 1) and the rest GA (id 3)."""
        tier_of_row = tier_of_row or {1: 1}
        prices = prices or {1: 10000, 2: 5000, 3: 2500}
        with self.db.engine.begin() as conn:
            event_id, venue_id = self._event_and_venue(conn, rows * per_row)
            date_id = self._insert(conn, t.event_date, event_id=event_id, id_venue=venue_id,
                                   total_tickets=rows * per_row, event_date=_when(days), seating_mode="SEATED")
            seat_ids = []
            for r in range(1, rows + 1):
                tier = tier_of_row.get(r, 3)
                for n in range(1, per_row + 1):
                    seat_id = self._insert(conn, t.seat, venue_id=venue_id, section="A", row=str(r), number=n,
                                           is_accessible=(n == 1))
                    conn.execute(sa.insert(t.event_date_has_seat).values(
                        event_date_id=date_id, seat_id=seat_id, ticket_type_id=tier, price_cents=prices[tier]))
                    seat_ids.append(seat_id)
        return Show(date_id, event_id, venue_id, seat_ids)


def _when(days: float) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(microsecond=0)


def snapshot(db: TestDatabase) -> dict:
    """Everything a failed request must leave untouched."""
    with db.engine.connect() as conn:
        inventory = conn.execute(
            sa.select(t.event_date_has_ticket_type.c.event_date_id, t.event_date_has_ticket_type.c.ticket_type_id,
                      t.event_date_has_ticket_type.c.remaining_tickets)
            .order_by(t.event_date_has_ticket_type.c.event_date_id, t.event_date_has_ticket_type.c.ticket_type_id)
        ).all()
        return {
            "orders": conn.execute(sa.select(sa.func.count()).select_from(t.order)).scalar_one(),
            "tickets": conn.execute(sa.select(sa.func.count()).select_from(t.ticket)).scalar_one(),
            "users": conn.execute(sa.select(sa.func.count()).select_from(t.user)).scalar_one(),
            "inventory": [tuple(r) for r in inventory],
        }


def tier_counts(db: TestDatabase, event_date_id: int) -> dict[int, tuple[int, int, int]]:
    """{ticket_type_id: (max_quantity, remaining, tickets sold)} for a GA show."""
    inv = t.event_date_has_ticket_type
    with db.engine.connect() as conn:
        sold = dict(conn.execute(
            sa.select(t.ticket.c.ticket_type_id, sa.func.count())
            .where(t.ticket.c.event_date_id == event_date_id).group_by(t.ticket.c.ticket_type_id)
        ).all())
        rows = conn.execute(sa.select(inv.c.ticket_type_id, inv.c.max_quantity, inv.c.remaining_tickets)
                            .where(inv.c.event_date_id == event_date_id)).all()
    return {r.ticket_type_id: (r.max_quantity, r.remaining_tickets, sold.get(r.ticket_type_id, 0)) for r in rows}


def tickets_of_show(db: TestDatabase, event_date_id: int) -> list[sa.Row]:
    """Sold tickets (held seats are ticket rows without an order)."""
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(t.ticket.c.id, t.ticket.c.order_id, t.ticket.c.seat_id, t.ticket.c.ticket_type_id)
            .where(t.ticket.c.event_date_id == event_date_id, t.ticket.c.order_id.is_not(None))
            .order_by(t.ticket.c.id)
        ).all()


def held_quantities(db: TestDatabase, event_date_id: int) -> dict[int, int]:
    """GA quantities of holds still active (expired or not): out of remaining, not yet sold."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.hold_tier.c.ticket_type_id, sa.func.sum(t.hold_tier.c.quantity))
            .join(t.hold, t.hold.c.id == t.hold_tier.c.hold_id)
            .where(t.hold.c.event_date_id == event_date_id, t.hold.c.status == "active")
            .group_by(t.hold_tier.c.ticket_type_id)
        ).all()
    return {tier: int(qty) for tier, qty in rows}


def expire_holds(db: TestDatabase, *hold_ids: int) -> None:
    """The test's clock: move the holds' expiry into the past, as if their time had run out."""
    with db.engine.begin() as conn:
        conn.execute(sa.update(t.hold).where(t.hold.c.id.in_(hold_ids))
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
