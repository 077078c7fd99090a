"""Group commit (booking/grouping.py) against the real database: a group is all or nothing, on every backend.

On PostgreSQL a GA group is one statement (repository.book_ga_group); elsewhere it is a transaction of several.
"""

import asyncio

from ticketbooth.booking.grouping import BookAlone, GroupBooker, TierSoldOut
from ticketbooth.config import Settings
from ticketbooth.db.database import Database

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


def _book_together(database, show, orders) -> list:
    """Book `orders` through one GroupBooker: all are queued before its first group starts, so they go as one
    group. Each outcome is (order id, tickets) or the exception the order got."""

    async def main():
        db = Database(Settings(database_url=database.async_url))
        booker = GroupBooker(db, max_orders=50)
        try:
            return await asyncio.gather(*(booker.book(show.id, o, ts) for o, ts in orders), return_exceptions=True)
        finally:
            await booker.close()
            await db.dispose()

    return asyncio.run(main())


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
