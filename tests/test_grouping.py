"""Group commit (booking/grouping.py) against the real database: a GA group is all or nothing, a seat group refuses
exactly the orders wanting a seat someone got, on every backend.

On PostgreSQL a group is one statement (repository.book_ga_group, book_seat_group), on MariaDB one CALL of a
procedure (migration 0004; for GA, migration 0005, after the orders' INSERT); on SQLite a group is a transaction of
several statements.
"""

import asyncio
import os
import re
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import asyncpg

from ticketbooth.booking import repository
from ticketbooth.booking.grouping import BookAlone, GroupBooker, TierSoldOut
from ticketbooth.config import Settings
from ticketbooth.db import tables as t
from ticketbooth.db.database import Database
from ticketbooth.errors import SeatAlreadyTaken
from ticketbooth.holds import repository as holds_repository
from ticketbooth.kit import utcnow

from tests.support.databases import BackendUnavailable, create_database
from tests.support.factories import tickets_of_show, tier_counts


def _order(user_id: int, show, tiers: dict[int, int], prices: dict[int, int], key: str | None = None):
    tickets = [
        {"ticket_type_id": tier, "seat_id": None, "price_cents": prices[tier], "user_id": user_id,
         "event_id": show.event_id, "event_date_id": show.id, "to_name": "Grouped"}
        for tier, quantity in tiers.items() for _ in range(quantity)
    ]
    order = {"user_id": user_id, "event_date_id": show.id, "customer_name": "Grouped", "payment_source": "card",
             "total_tickets": len(tickets), "amount_cents": sum(t["price_cents"] for t in tickets),
             "idempotency_key": key, "request_hash": "0" * 64 if key else None}
    return order, tickets


def _seat_order(user_id: int, show, seat_ids: list[int], price: int = 2500, name: str = "Grouped"):
    tickets = [
        {"ticket_type_id": 3, "seat_id": seat_id, "price_cents": price, "user_id": user_id, "event_id": show.event_id,
         "event_date_id": show.id, "to_name": name}
        for seat_id in seat_ids
    ]
    order = {"user_id": user_id, "event_date_id": show.id, "customer_name": name, "payment_source": "card",
             "total_tickets": len(tickets), "amount_cents": price * len(tickets), "idempotency_key": None,
             "request_hash": None}
    return order, tickets


def _sell(conn, order: dict, tickets: list[dict]) -> int:
    """Sell an order the way another process would, in the caller's transaction."""
    now = utcnow()
    order_id = conn.execute(sa.insert(t.order).values(**order, created_at=now)).inserted_primary_key[0]
    conn.execute(sa.insert(t.ticket), [{**ticket, "order_id": order_id, "created_at": now} for ticket in tickets])
    return order_id


def _book_together(database, show, orders, *, meanwhile=None, counts: Counter | None = None) -> list:
    """Book `orders` through one GroupBooker: all are queued before its first group starts, so they go as one
    group. Each outcome is (order id, tickets) or the exception the order got. `meanwhile` is awaited while the
    group is being booked; `counts` counts the statements the booker sent."""

    async def main():
        db = Database(Settings(database_url=database.async_url))
        if counts is not None:
            event.listen(db.engine.sync_engine, "before_cursor_execute",
                         lambda *_a: counts.update(["statements"]))
        booker = GroupBooker(db, max_orders=50)
        try:
            booking = asyncio.gather(*(booker.book(show.id, o, ts) for o, ts in orders), return_exceptions=True)
            if meanwhile is not None:
                await meanwhile()
            return await booking
        finally:
            await booker.close()
            await db.dispose()

    return asyncio.run(main())


def _seats_sold(database, show) -> dict[int, int]:
    return {ticket.seat_id: ticket.order_id for ticket in tickets_of_show(database, show.id)}


def test_a_group_with_one_tier_short_writes_nothing_and_those_that_fit_go_together(database, factory):
    prices = {1: 5000, 3: 1000}
    show = factory.ga_show({1: (10, prices[1]), 3: (2, prices[3])})
    user = factory.user()
    # Tier 1 has room for all three, tier 3 for two: the group of three must not take tier 1's six tickets.
    orders = [_order(user.id, show, {1: 2, 3: 1}, prices) for _ in range(3)]

    outcomes = _book_together(database, show, orders)

    assert isinstance(outcomes[2], BookAlone)
    booked = outcomes[:2]
    assert [len(tickets) for _, tickets in booked] == [3, 3]
    assert len({order_id for order_id, _ in booked}) == 2
    assert all(t.order_id == order_id for order_id, tickets in booked for t in tickets)
    assert tier_counts(database, show.id) == {1: (10, 6, 4), 3: (2, 0, 2)}
    assert sorted(t.id for t in tickets_of_show(database, show.id)) == sorted(
        t.id for _, tickets in booked for t in tickets)


def test_a_ga_group_that_fits_is_one_statement_and_issues_tickets_in_order(database, factory):
    prices = {1: 5000, 3: 1000}
    show = factory.ga_show({1: (10, prices[1]), 3: (10, prices[3])})
    user = factory.user()
    orders = [_order(user.id, show, {3: 2, 1: 1}, prices), _order(user.id, show, {1: 3}, prices, key="k-1"),
              _order(user.id, show, {3: 1}, prices)]
    counts: Counter = Counter()

    outcomes = _book_together(database, show, orders, counts=counts)

    assert [[ticket.ticket_type_id for ticket in tickets] for _, tickets in outcomes] == [[3, 3, 1], [1, 1, 1], [3]]
    ids = [ticket.id for _, tickets in outcomes for ticket in tickets]
    assert ids == sorted(ids)
    assert tier_counts(database, show.id) == {1: (10, 6, 4), 3: (10, 7, 3)}
    with database.engine.connect() as conn:
        assert conn.execute(sa.select(t.order.c.idempotency_key).where(t.order.c.id == outcomes[1][0])).scalar_one() \
            == "k-1"
        assert conn.execute(sa.select(sa.func.count()).select_from(t.availability_change)
                            .where(t.availability_change.c.event_date_id == show.id)).scalar_one() == 1
    if database.backend != "sqlite":  # PostgreSQL's one statement; MariaDB's orders INSERT and CALL
        assert counts == {"statements": {"postgresql": 1, "mariadb": 2}[database.backend]}


def test_a_group_with_a_reused_key_writes_nothing_and_each_order_goes_alone(database, factory):
    prices = {3: 1000}
    show = factory.ga_show({3: (100, prices[3])})
    user = factory.user()
    orders = [_order(user.id, show, {3: 1}, prices, key="same-key"), _order(user.id, show, {3: 2}, prices),
              _order(user.id, show, {3: 1}, prices, key="same-key")]

    outcomes = _book_together(database, show, orders)

    assert all(isinstance(o, BookAlone) for o in outcomes)
    assert tier_counts(database, show.id) == {3: (100, 100, 0)}
    assert tickets_of_show(database, show.id) == []


def test_after_a_short_group_orders_too_big_for_what_is_left_are_refused_from_one_read(database, factory):
    prices = {3: 1000}
    show = factory.ga_show({3: (3, prices[3])})
    user = factory.user()
    orders = [_order(user.id, show, {3: quantity}, prices) for quantity in (4, 2, 1)]

    outcomes = _book_together(database, show, orders)

    assert isinstance(outcomes[0], TierSoldOut) and outcomes[0].ticket_type_id == 3
    assert [len(tickets) for _, tickets in outcomes[1:]] == [2, 1]
    assert tier_counts(database, show.id) == {3: (3, 0, 3)}


def test_a_seat_group_refuses_only_the_orders_wanting_a_sold_seat(database, factory):
    show = factory.seated_show(rows=1, per_row=6)
    user = factory.user()
    seats = show.seat_ids
    with database.engine.begin() as conn:
        earlier = _sell(conn, *_seat_order(user.id, show, [seats[1]]))
    orders = [_seat_order(user.id, show, [seats[0], seats[1]]), _seat_order(user.id, show, [seats[2], seats[3]]),
              _seat_order(user.id, show, [seats[4]], name="Zoë Ünal 🎫")]
    counts: Counter = Counter()

    outcomes = _book_together(database, show, orders, counts=counts)

    assert isinstance(outcomes[0], SeatAlreadyTaken)
    (second, second_tickets), (third, third_tickets) = outcomes[1:]
    assert [ticket.seat_id for ticket in second_tickets] == seats[2:4]
    assert [ticket.seat_id for ticket in third_tickets] == [seats[4]]
    assert _seats_sold(database, show) == {seats[1]: earlier, seats[2]: second, seats[3]: second, seats[4]: third}
    with database.engine.connect() as conn:
        assert conn.execute(sa.select(t.order.c.customer_name).where(t.order.c.id == third)).scalar_one() == "Zoë Ünal 🎫"
        assert conn.execute(sa.select(t.ticket.c.to_name).where(t.ticket.c.order_id == third)).scalar_one() == "Zoë Ünal 🎫"
    if database.backend != "sqlite":  # one statement: PostgreSQL's with the read inside, MariaDB's CALL
        assert counts == {"statements": 1}


def test_orders_of_one_group_wanting_the_same_seat_the_first_gets_it_the_other_is_refused(database, factory):
    show = factory.seated_show(rows=1, per_row=6)
    user = factory.user()
    seats = show.seat_ids
    orders = [_seat_order(user.id, show, [seats[0], seats[1]]), _seat_order(user.id, show, [seats[1], seats[2]]),
              _seat_order(user.id, show, [seats[3]])]

    outcomes = _book_together(database, show, orders)

    first, _ = outcomes[0]
    assert isinstance(outcomes[1], SeatAlreadyTaken)
    third, _ = outcomes[2]
    assert _seats_sold(database, show) == {seats[0]: first, seats[1]: first, seats[3]: third}


def test_a_seat_sold_by_a_concurrent_transaction_refuses_only_the_order_wanting_it(database, factory):
    """The other transaction commits while the group is being booked: on PostgreSQL the group's statement read
    the seat as free and then fails on the unique constraint as a whole, on MariaDB its insert skips the seat
    and the order left short is deleted, on SQLite the group waits for the write lock and its read sees the seat
    sold. Everywhere, only the order wanting that seat is refused."""
    show = factory.seated_show(rows=1, per_row=6)
    user = factory.user()
    seats = show.seat_ids
    orders = [_seat_order(user.id, show, [seats[0], seats[1]]), _seat_order(user.id, show, [seats[2], seats[3]]),
              _seat_order(user.id, show, [seats[4]])]
    with database.engine.connect() as other:
        other.begin()
        other_order = _sell(other, *_seat_order(user.id, show, [seats[3]]))

        async def commit_the_other_sale():
            await asyncio.sleep(0.5)  # the group is waiting for the seat's row lock (SQLite: the write lock)
            await asyncio.to_thread(other.commit)

        outcomes = _book_together(database, show, orders, meanwhile=commit_the_other_sale)

    assert isinstance(outcomes[1], SeatAlreadyTaken)
    (first, _), (third, _) = outcomes[0], outcomes[2]
    assert _seats_sold(database, show) == {seats[0]: first, seats[1]: first, seats[3]: other_order, seats[4]: third}
    with database.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.order)
                            .where(t.order.c.event_date_id == show.id)).scalar_one() == 3


def test_an_order_is_not_refused_for_a_seat_that_only_a_refused_order_wanted(database, factory):
    """The first order loses a seat to another transaction that commits meanwhile; the second order wants a seat of
    the first one: it must be booked, since nobody got that seat."""
    show = factory.seated_show(rows=1, per_row=6)
    user = factory.user()
    seats = show.seat_ids
    orders = [_seat_order(user.id, show, [seats[0], seats[1]]), _seat_order(user.id, show, [seats[1], seats[2]])]
    with database.engine.connect() as other:
        other.begin()
        other_order = _sell(other, *_seat_order(user.id, show, [seats[0]]))

        async def commit_the_other_sale():
            await asyncio.sleep(0.5)
            await asyncio.to_thread(other.commit)

        outcomes = _book_together(database, show, orders, meanwhile=commit_the_other_sale)

    assert isinstance(outcomes[0], SeatAlreadyTaken)
    second, _ = outcomes[1]
    assert _seats_sold(database, show) == {seats[0]: other_order, seats[1]: second, seats[2]: second}


@pytest.mark.parametrize("module, statement", [(repository, "_BOOK_SEAT_GROUP"), (repository, "_SEAT_TICKETS_PG"),
                                               (holds_repository, "_FREE_EXPIRED_SEAT_HOLD_PG")])
def test_postgresql_caches_a_seat_read_plan_that_looks_each_seat_up_by_the_unique_key(tmp_path, module, statement):
    """PostgreSQL caches a generic plan for a prepared statement after a few runs. One made on a fresh database
    (tickets never analyzed) filtered seat_id over every ticket of the show, so a seat group's read grew with the
    seats sold (75 % of a core in PostgreSQL in a seated bench run). The generic plans of book_seat_group's statement,
    of the seat read of a seat group's transaction (seat_tickets) and of the DELETE that frees expired holds' seats
    must find each wanted seat, and its hold, by index lookups on both columns of the key."""
    if "postgresql" not in os.environ.get("TICKETBOOTH_TEST_DATABASES", "postgresql"):
        pytest.skip("PostgreSQL not in TICKETBOOTH_TEST_DATABASES")
    try:
        db = create_database("postgresql", tmp_path)
    except BackendUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        compiled = getattr(module, statement).compile(dialect=asyncpg.dialect())
        nulls = ", ".join(["NULL"] * len(compiled.positiontup))
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            conn.exec_driver_sql(f"PREPARE seat_group AS {compiled}")
            plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN EXECUTE seat_group({nulls})"))
    finally:
        db.close()
    assert re.search(r"Index Cond: \(\(event_date_id = \$\d+\) AND \(seat_id = (w\.seat_id|\$\d+)\)\)", plan), plan
    assert "Seq Scan on ticket" not in plan and "Seq Scan on hold" not in plan, plan


def test_a_seat_group_with_a_reused_key_writes_nothing_and_each_order_goes_alone(database, factory):
    show = factory.seated_show(rows=1, per_row=6)
    user = factory.user()
    seats = show.seat_ids
    orders = [_seat_order(user.id, show, [seats[0]]), _seat_order(user.id, show, [seats[1], seats[2]]),
              _seat_order(user.id, show, [seats[3]])]
    for order, _ in (orders[0], orders[2]):
        order.update(idempotency_key="same-key", request_hash="0" * 64)

    outcomes = _book_together(database, show, orders)

    assert all(isinstance(o, BookAlone) for o in outcomes)
    assert _seats_sold(database, show) == {}
    with database.engine.connect() as conn:
        for table in (t.order, t.availability_change):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)
                                .where(table.c.event_date_id == show.id)).scalar_one() == 0
