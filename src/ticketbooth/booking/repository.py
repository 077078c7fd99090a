"""SQL of a booking: the conditional inventory UPDATE and the order and ticket INSERTs.

The statements a booking runs are built once, with bind parameters: building a SQLAlchemy statement costs
more CPU than compiling (cached) and running it.
"""

import json
from collections import Counter
from contextlib import aclosing
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.booking.seat_map import SeatMap
from ticketbooth.db.database import rows_in_parts
from ticketbooth.db.tables import (
    event_date,
    event_date_has_seat,
    event_date_has_ticket_type,
    hold,
    order,
    seat,
    ticket,
    ticket_type,
)
from ticketbooth.holds.repository import ticket_keeps_its_seat


async def get_show(conn: AsyncConnection, event_date_id: int) -> sa.Row | None:
    query = sa.select(
        event_date.c.id, event_date.c.event_id, event_date.c.event_date, event_date.c.seating_mode
    ).where(event_date.c.id == event_date_id)
    return (await conn.execute(query)).first()


async def tier_prices(conn: AsyncConnection, event_date_id: int) -> dict[int, sa.Row]:
    """Every GA tier of the show: ticket_type_id -> (name, price_cents)."""
    inv = event_date_has_ticket_type
    query = (
        sa.select(inv.c.ticket_type_id, ticket_type.c.name, inv.c.price_cents)
        .join(ticket_type, ticket_type.c.id == inv.c.ticket_type_id)
        .where(inv.c.event_date_id == event_date_id)
    )
    return {r.ticket_type_id: r for r in (await conn.execute(query)).all()}


_SEATS_OF_SHOW = (
    sa.select(
        event_date_has_seat.c.seat_id,
        event_date_has_seat.c.ticket_type_id,
        event_date_has_seat.c.price_cents,
        ticket_type.c.name.label("ticket_type"),
        seat.c.section,
        seat.c.row,
        seat.c.number,
    )
    .join(seat, seat.c.id == event_date_has_seat.c.seat_id)
    .join(ticket_type, ticket_type.c.id == event_date_has_seat.c.ticket_type_id)
    .where(event_date_has_seat.c.event_date_id == sa.bindparam("show"))
    .order_by(event_date_has_seat.c.seat_id)
)


async def seats_of_show(conn: AsyncConnection, event_date_id: int) -> SeatMap:
    """Every seat on sale for the show (inside a transaction: the rows come from a cursor)."""
    seats = SeatMap()
    async with aclosing(rows_in_parts(conn, _SEATS_OF_SHOW, {"show": event_date_id})) as parts:
        async for rows in parts:
            seats.extend(rows)
    return seats


_TAKEN_SEATS = (
    sa.select(ticket.c.seat_id)
    .select_from(ticket.outerjoin(hold, hold.c.id == ticket.c.hold_id))
    .where(ticket.c.event_date_id == sa.bindparam("show"), ticket.c.seat_id.is_not(None),
           ticket_keeps_its_seat(sa.bindparam("now")))
)


async def taken_seat_ids(conn: AsyncConnection, event_date_id: int, now: datetime) -> list[int]:
    """The show's seats sold or held by a hold still live at `now` (an expired hold's seats are free to book)."""
    return list((await conn.execute(_TAKEN_SEATS, {"show": event_date_id, "now": now})).scalars())


async def insert_order(conn: AsyncConnection, *, values: dict) -> int:
    return (await conn.execute(_INSERT_ORDER, values)).inserted_primary_key[0]


_INSERT_ORDER = sa.insert(order)
_INSERT_ORDERS = sa.insert(order).returning(order.c.id, sort_by_parameter_order=True)
_TICKET_RETURNING = (ticket.c.id, ticket.c.order_id, ticket.c.ticket_type_id, ticket.c.seat_id)
_INSERT_TICKETS = sa.insert(ticket).returning(*_TICKET_RETURNING)
_INSERT_TICKETS_IN_ORDER = sa.insert(ticket).returning(*_TICKET_RETURNING, sort_by_parameter_order=True)


async def insert_orders(conn: AsyncConnection, rows: list[dict]) -> list[int]:
    """One multi-row INSERT; the ids come back in the order of `rows`."""
    return list((await conn.execute(_INSERT_ORDERS, rows)).scalars())


async def insert_tickets(conn: AsyncConnection, rows: list[dict], *, in_order: bool = False) -> list[sa.Row]:
    """One multi-row INSERT returning (id, order_id, ticket_type_id, seat_id) of each ticket (RETURNING works on
    all three dialects), in the order of `rows` when asked. For seats, uniq_ticket_eventdate_seat rejects a seat
    sold or held already."""
    if not rows:
        return []
    return (await conn.execute(_INSERT_TICKETS_IN_ORDER if in_order else _INSERT_TICKETS, rows)).all()


_TIERS = event_date_has_ticket_type
_TICKETS_LEFT = sa.select(_TIERS.c.ticket_type_id, _TIERS.c.remaining_tickets).where(
    _TIERS.c.event_date_id == sa.bindparam("show"), _TIERS.c.ticket_type_id.in_(sa.bindparam("tiers", expanding=True))
)


async def tickets_left(conn: AsyncConnection, event_date_id: int, ticket_type_ids: list[int]) -> dict[int, int]:
    rows = await conn.execute(_TICKETS_LEFT, {"show": event_date_id, "tiers": ticket_type_ids})
    return dict(rows.all())


_SEAT_TICKETS = (
    sa.select(ticket.c.seat_id, sa.and_(ticket.c.order_id.is_(None), hold.c.expires_at <= sa.bindparam("now")))
    .select_from(ticket.outerjoin(hold, hold.c.id == ticket.c.hold_id))
    .where(ticket.c.event_date_id == sa.bindparam("show"), ticket.c.seat_id.in_(sa.bindparam("seats", expanding=True)))
)
# PostgreSQL: the ticket row (sold or held) of each wanted seat, found by the unique key (event_date_id, seat_id),
# and whether it is an expired hold's: (seat_id, expired_hold), one row per wanted seat that has one. A lateral
# lookup per seat behind OFFSET 0, because PostgreSQL caches a generic plan for a prepared statement after five runs:
# made while `ticket` had never been analyzed (a fresh database, until autovacuum's first ANALYZE), a plan of
# `seat_id IN (...)` or `= ANY(...)` used the index for event_date_id only and filtered seat_id over every ticket of
# the show, so the read grew with the seats sold. Binds :show, :now and :ticket_seats (an integer array).
_WANTED_SEAT_TICKETS = """SELECT w.seat_id, t.expired_hold
      FROM unnest(CAST(:ticket_seats AS integer[])) AS w(seat_id)
     CROSS JOIN LATERAL (
         SELECT ticket.order_id IS NULL AND hold.expires_at <= :now AS expired_hold
           FROM ticket LEFT JOIN hold ON hold.id = ticket.hold_id
          WHERE ticket.event_date_id = :show AND ticket.seat_id = w.seat_id OFFSET 0) AS t"""
_SEAT_TICKETS_PG = sa.text(_WANTED_SEAT_TICKETS)


async def seat_tickets(conn: AsyncConnection, event_date_id: int, seat_ids: list[int], now: datetime) -> dict[int, bool]:
    """Of `seat_ids`, those with a ticket row (sold or held), each with whether it is an expired hold's."""
    if conn.dialect.name == "postgresql":
        rows = await conn.execute(_SEAT_TICKETS_PG, {"show": event_date_id, "ticket_seats": seat_ids, "now": now})
    else:
        rows = await conn.execute(_SEAT_TICKETS, {"show": event_date_id, "seats": seat_ids, "now": now})
    return {seat_id: bool(expired) for seat_id, expired in rows.all()}


_QUANTITY = sa.bindparam("wanted")  # bind names must differ from column names in an UPDATE
# SQLite: the seat tickets of a group, a seat sold or held already skipped rather than failing the statement.
# (PostgreSQL does this inside book_seat_orders, MariaDB inside its procedure book_seat_group.)
_INSERT_FREE_SEATS = (
    sqlite.insert(ticket).on_conflict_do_nothing(index_elements=["event_date_id", "seat_id"])
    .returning(*_TICKET_RETURNING)
)


async def insert_free_seat_tickets(conn: AsyncConnection, rows: list[dict]) -> list[sa.Row]:
    """The tickets of the rows whose seats were still free, as (id, order_id, ticket_type_id, seat_id)."""
    return (await conn.execute(_INSERT_FREE_SEATS, rows)).all()


async def delete_orders(conn: AsyncConnection, order_ids: list[int]) -> None:
    """Undo orders inserted earlier in this transaction, tickets first."""
    await conn.execute(sa.delete(ticket).where(ticket.c.order_id.in_(order_ids)))
    await conn.execute(sa.delete(order).where(order.c.id.in_(order_ids)))


_TAKE_GA_INVENTORY = (
    sa.update(event_date_has_ticket_type)
    .where(
        event_date_has_ticket_type.c.event_date_id == sa.bindparam("show"),
        event_date_has_ticket_type.c.ticket_type_id == sa.bindparam("tier"),
        event_date_has_ticket_type.c.remaining_tickets >= _QUANTITY,
    )
    .values(remaining_tickets=event_date_has_ticket_type.c.remaining_tickets - _QUANTITY)
)


async def take_ga_inventory(conn: AsyncConnection, *, event_date_id: int, ticket_type_id: int, quantity: int) -> bool:
    """The spec's conditional decrement: True when `quantity` tickets were taken, False when too few are left."""
    result = await conn.execute(
        _TAKE_GA_INVENTORY, {"show": event_date_id, "tier": ticket_type_id, "wanted": quantity}
    )
    return result.rowcount == 1


def _group_orders(only_if: str = "") -> str:
    """The CTEs a one-statement group shares: `numbered`, the group's orders from the arrays with their ids drawn
    from the sequence (so each ticket row can name its order) and their 1-based position `ord`, and `orders`,
    their INSERT."""
    return f"""numbered AS (
    SELECT nextval(pg_get_serial_sequence('"order"', 'id')) AS id, o.*
      FROM unnest(CAST(:user_ids AS integer[]), CAST(:customer_names AS text[]), CAST(:total_tickets AS integer[]),
                  CAST(:amounts AS bigint[]), CAST(:payment_sources AS text[]), CAST(:idempotency_keys AS text[]),
                  CAST(:request_hashes AS text[])) WITH ORDINALITY
           AS o(user_id, customer_name, total_tickets, amount_cents, payment_source, idempotency_key,
                request_hash, ord)
     {only_if}
), orders AS (
    INSERT INTO "order" (id, user_id, event_date_id, customer_name, total_tickets, amount_cents, payment_source,
                         idempotency_key, request_hash, created_at)
    SELECT id, user_id, :show, customer_name, total_tickets, amount_cents, payment_source, idempotency_key,
           request_hash, :now
      FROM numbered
)"""


def _group_arrays(
    event_date_id: int, event_id: int, orders: list[dict], tickets: list[list[dict]], change_kind: str, now: datetime
) -> dict:
    """The bind parameters a one-statement group shares: the show, the orders and their tickets as arrays."""
    return {
        "show": event_date_id, "event": event_id, "sold": change_kind, "now": now,
        "user_ids": [o["user_id"] for o in orders], "customer_names": [o["customer_name"] for o in orders],
        "total_tickets": [o["total_tickets"] for o in orders], "amounts": [o["amount_cents"] for o in orders],
        "payment_sources": [o["payment_source"] for o in orders],
        "idempotency_keys": [o["idempotency_key"] for o in orders],
        "request_hashes": [o["request_hash"] for o in orders],
        "ticket_orders": [ord_ for ord_, rows in enumerate(tickets, 1) for _ in rows],
        "ticket_tiers": [t["ticket_type_id"] for rows in tickets for t in rows],
        "ticket_prices": [t["price_cents"] for rows in tickets for t in rows],
        "ticket_names": [t["to_name"] for rows in tickets for t in rows],
    }


# PostgreSQL: a whole GA group as one statement, which is its own transaction (autocommit): one round trip
# instead of BEGIN, three INSERTs, the UPDATE and COMMIT, so a group spends no time waiting for turns of the
# event loop while it holds the tier rows. The text is the same for every group (its rows come as arrays), so
# it is prepared once per connection. The tiers are locked first, in id order (no deadlock between groups),
# and `fits` reads them after the lock, as the conditional UPDATE would: when any tier has too few left,
# nothing is written and no row comes back. Order ids are drawn from the sequence beforehand so each ticket
# row can name its order; tickets are inserted in the order given, so their ids ascend in that order.
_BOOK_GA_GROUP = sa.text(f"""
WITH wanted AS (
    SELECT w.tier, w.qty FROM unnest(CAST(:tiers AS integer[]), CAST(:quantities AS integer[])) AS w(tier, qty)
), locked AS (
    SELECT i.ticket_type_id, i.remaining_tickets FROM event_date_has_ticket_type AS i
     WHERE i.event_date_id = :show AND i.ticket_type_id = ANY(CAST(:tiers AS integer[]))
     ORDER BY i.ticket_type_id FOR UPDATE
), fits AS (
    SELECT count(*) = cardinality(CAST(:tiers AS integer[])) AS ok
      FROM locked JOIN wanted ON wanted.tier = locked.ticket_type_id
     WHERE locked.remaining_tickets >= wanted.qty
), taken AS (
    UPDATE event_date_has_ticket_type AS i SET remaining_tickets = i.remaining_tickets - wanted.qty
      FROM wanted
     WHERE i.event_date_id = :show AND i.ticket_type_id = wanted.tier AND (SELECT ok FROM fits)
), {_group_orders("WHERE (SELECT ok FROM fits)")}, tickets AS (
    INSERT INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, price_cents, to_name, created_at)
    SELECT numbered.id, numbered.user_id, :event, :show, t.ticket_type_id, t.price_cents, t.to_name, :now
      FROM unnest(CAST(:ticket_orders AS bigint[]), CAST(:ticket_tiers AS integer[]),
                  CAST(:ticket_prices AS integer[]), CAST(:ticket_names AS text[])) WITH ORDINALITY
           AS t(ord, ticket_type_id, price_cents, to_name, n)
      JOIN numbered ON numbered.ord = t.ord
     ORDER BY t.n
    RETURNING id, order_id, ticket_type_id, seat_id
), change AS (
    INSERT INTO availability_change (event_date_id, kind, seat_ids, created_at)
    SELECT :show, :sold, NULL, :now WHERE (SELECT ok FROM fits)
)
SELECT tickets.id, tickets.order_id, tickets.ticket_type_id, tickets.seat_id, numbered.ord
  FROM tickets JOIN numbered ON numbered.id = tickets.order_id
 ORDER BY numbered.ord, tickets.id
""")


async def book_ga_group(
    conn: AsyncConnection, *, event_date_id: int, event_id: int, orders: list[dict], tickets: list[list[dict]],
    change_kind: str, now: datetime,
) -> list[sa.Row] | None:
    """PostgreSQL only, on an autocommit connection: book every order of a GA group, or none when some tier has
    too few tickets left (None). `tickets[i]` are the ticket rows of `orders[i]`. The issued tickets come back as
    (id, order_id, ticket_type_id, seat_id, ord), ord being the 1-based position of their order."""
    totals = Counter(t["ticket_type_id"] for rows in tickets for t in rows)
    tiers = sorted(totals)
    issued = (await conn.execute(_BOOK_GA_GROUP, {
        **_group_arrays(event_date_id, event_id, orders, tickets, change_kind, now),
        "tiers": tiers, "quantities": [totals[tier] for tier in tiers],
    })).all()
    return issued or None


# PostgreSQL: the tickets of a seat group's orders and the change-log row, as CTEs after _group_orders. Tickets go in
# in seat order, so concurrent groups wait for each other's seats in one order (no deadlock).
def _seat_tickets_and_change(on_conflict: str) -> str:
    return f"""tickets AS (
    INSERT INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id, price_cents, to_name,
                        created_at)
    SELECT numbered.id, numbered.user_id, :event, :show, t.ticket_type_id, t.seat_id, t.price_cents, t.to_name, :now
      FROM unnest(CAST(:ticket_orders AS bigint[]), CAST(:ticket_tiers AS integer[]), CAST(:ticket_seats AS integer[]),
                  CAST(:ticket_prices AS integer[]), CAST(:ticket_names AS text[]))
           AS t(ord, ticket_type_id, seat_id, price_cents, to_name)
      JOIN numbered ON numbered.ord = t.ord
     ORDER BY t.seat_id
    {on_conflict}
    RETURNING id, order_id, ticket_type_id, seat_id
), change AS (
    INSERT INTO availability_change (event_date_id, kind, seat_ids, created_at)
    SELECT :show, :sold, (SELECT CAST(json_agg(seat_id ORDER BY seat_id) AS text) FROM tickets), :now
     WHERE EXISTS (SELECT 1 FROM tickets)
)"""


# PostgreSQL: a whole seat group as one statement, which is its own transaction (autocommit), like book_ga_group.
# It reads which wanted seats have a ticket row (sold or held); orders wanting one of them are refused and not
# written; the others' orders and tickets go in. The insert does not skip taken seats: a seat that a concurrent
# transaction took after this statement's snapshot makes the whole statement fail on uniq_ticket_eventdate_seat
# (nothing written, the caller books the group in a transaction instead), because an order left short could not be
# undone inside one statement. The caller sends no two orders wanting the same seat. A seat held by an expired hold
# must be freed first (holds.repository.free_expired_seat_holds): then nothing is written and `ok` comes back false.
# The read looks each seat up by the unique key in any cached plan (_WANTED_SEAT_TICKETS).
_BOOK_SEAT_GROUP = sa.text(f"""
WITH found AS (
    {_WANTED_SEAT_TICKETS}
), go AS (
    SELECT NOT EXISTS (SELECT 1 FROM found WHERE expired_hold) AS ok
), refused AS (
    SELECT DISTINCT w.ord FROM unnest(CAST(:ticket_orders AS bigint[]), CAST(:ticket_seats AS integer[])) AS w(ord, seat_id)
      JOIN found ON found.seat_id = w.seat_id
), {_group_orders("WHERE (SELECT ok FROM go) AND o.ord NOT IN (SELECT ord FROM refused)")},
{_seat_tickets_and_change("")}
SELECT go.ok, numbered.ord, numbered.id AS order_id, tickets.id, tickets.ticket_type_id, tickets.seat_id
  FROM go LEFT JOIN (numbered JOIN tickets ON tickets.order_id = numbered.id) ON true
 ORDER BY numbered.ord, tickets.id
""")


def _seat_group_arrays(
    event_date_id: int, event_id: int, orders: list[dict], tickets: list[list[dict]], change_kind: str, now: datetime
) -> dict:
    return {**_group_arrays(event_date_id, event_id, orders, tickets, change_kind, now),
            "ticket_seats": [t["seat_id"] for rows in tickets for t in rows]}


async def book_seat_group(
    conn: AsyncConnection, *, event_date_id: int, event_id: int, orders: list[dict], tickets: list[list[dict]],
    change_kind: str, now: datetime,
) -> list[sa.Row] | None:
    """PostgreSQL only, on an autocommit connection: book the orders of a seat group whose seats are all free, no
    two of them wanting the same seat. The issued tickets as (ord, order_id, id, ticket_type_id, seat_id), ord
    being the 1-based position of their order; an order without tickets was refused because a seat it wants is
    sold or held. None, with nothing written, when an expired hold is among the wanted seats. IntegrityError when
    a concurrent transaction took a seat meanwhile (or an Idempotency-Key is reused): nothing is written either."""
    rows = (await conn.execute(
        _BOOK_SEAT_GROUP, _seat_group_arrays(event_date_id, event_id, orders, tickets, change_kind, now)
    )).all()
    if not rows[0].ok:
        return None
    return [row for row in rows if row.ord is not None]


# MariaDB/MySQL: the procedures of migrations 0004 and 0005 write a group (for seats with the seat read, for GA after
# its orders) inside the caller's transaction; rows go as JSON arrays, so the statement text is fixed.
_CALL_BOOK_SEAT_GROUP = sa.text("CALL book_seat_group(:show, :event, :sold, :now, :orders, :tickets)")
_CALL_BOOK_GA_GROUP = sa.text("CALL book_ga_group(:show, :event, :sold, :now, :order_ids, :tickets)")


async def call_book_seat_group(
    conn: AsyncConnection, *, event_date_id: int, event_id: int, orders: list[dict], tickets: list[list[dict]],
    change_kind: str, now: datetime,
) -> list[sa.Row]:
    """MariaDB/MySQL, inside the group's transaction: book the orders of a seat group, no two of them wanting the
    same seat; an order wanting a seat that is sold or held, or taken meanwhile, is refused. The issued tickets
    as (ord, order_id, id, ticket_type_id, seat_id), as book_seat_group returns them."""
    return (await conn.execute(_CALL_BOOK_SEAT_GROUP, {
        "show": event_date_id, "event": event_id, "sold": change_kind, "now": now,
        "orders": json.dumps([[o["user_id"], o["customer_name"], o["total_tickets"], o["amount_cents"],
                               o["payment_source"], o["idempotency_key"], o["request_hash"]] for o in orders]),
        "tickets": _tickets_json(tickets),
    })).all()


async def call_book_ga_group(
    conn: AsyncConnection, *, event_date_id: int, event_id: int, order_ids: list[int], tickets: list[list[dict]],
    change_kind: str, now: datetime,
) -> list[sa.Row] | None:
    """MariaDB/MySQL, inside the group's transaction, after inserting the orders `order_ids`: their tickets, the
    change row and the tiers' conditional UPDATEs. None when some tier has too few tickets left (the caller must roll
    back); otherwise the issued tickets as (ord, order_id, id, ticket_type_id, seat_id)."""
    return (await conn.execute(_CALL_BOOK_GA_GROUP, {
        "show": event_date_id, "event": event_id, "sold": change_kind, "now": now,
        "order_ids": json.dumps(order_ids), "tickets": _tickets_json(tickets),
    })).all() or None


def _tickets_json(tickets: list[list[dict]]) -> str:
    return json.dumps([[ord_, t["user_id"], t["ticket_type_id"], t["seat_id"], t["price_cents"], t["to_name"]]
                       for ord_, rows in enumerate(tickets, 1) for t in rows])


# PostgreSQL, when a seat group cannot be one statement: the orders and the tickets whose seats are still free,
# skipping seats taken meanwhile, as insert_free_seat_tickets does elsewhere; the caller deletes the orders left
# short in the same transaction. The change row lists every seat inserted here, including those of orders deleted
# afterwards: listeners re-read the current state of the seats a change names (live/service.py), so the log stays a
# list of seats to look at again.
_BOOK_SEAT_ORDERS = sa.text(f"""
WITH {_group_orders()}, {_seat_tickets_and_change("ON CONFLICT (event_date_id, seat_id) DO NOTHING")}
SELECT numbered.ord, numbered.id AS order_id, tickets.id, tickets.ticket_type_id, tickets.seat_id
  FROM numbered LEFT JOIN tickets ON tickets.order_id = numbered.id
 ORDER BY numbered.ord, tickets.id
""")


async def book_seat_orders(
    conn: AsyncConnection, *, event_date_id: int, event_id: int, orders: list[dict], tickets: list[list[dict]],
    change_kind: str, now: datetime,
) -> tuple[list[int], list[sa.Row]]:
    """PostgreSQL, inside the group's transaction: insert the orders and the tickets whose seats are free. The
    order ids in the order of `orders`, and the issued tickets as (id, order_id, ticket_type_id, seat_id)."""
    rows = (await conn.execute(
        _BOOK_SEAT_ORDERS, _seat_group_arrays(event_date_id, event_id, orders, tickets, change_kind, now)
    )).all()
    order_ids = [0] * len(orders)
    for row in rows:
        order_ids[row.ord - 1] = row.order_id
    return order_ids, [row for row in rows if row.id is not None]
