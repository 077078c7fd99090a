"""Race tests through real server processes: parallel buyers never get the same ticket.

Each race runs with one server process and with two processes on the same database, and ends with the
invariants: sold + remaining == capacity for every tier, no seat twice, ticket rows == successful responses.
"""

import random
from collections import Counter

import pytest
import sqlalchemy as sa

from ticketbooth.db import tables as t

from tests.support.factories import tickets_of_show, tier_counts
from tests.support.race import race
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.race


@pytest.fixture(params=[1, 2], ids=["1-process", "2-processes"])
def urls(request, server, database) -> list[str]:
    if request.param == 1:
        return [server.url]
    return [server.url, request.getfixturevalue("second_server").url]


def _ga(show_id: int, tiers: dict[int, int]) -> dict:
    return {"eventDateId": show_id, "customerName": "Racer", "paymentSource": "card",
            "tiers": [{"ticketTypeId": t, "quantity": q} for t, q in tiers.items()]}


def _seats(show_id: int, seat_ids: list[int]) -> dict:
    return {"eventDateId": show_id, "customerName": "Racer", "paymentSource": "card",
            "seats": [{"seatId": s} for s in seat_ids]}


def assert_ga_invariants(database, show_id, outcomes) -> None:
    counts = tier_counts(database, show_id)
    for tier, (capacity, remaining, sold) in counts.items():
        assert sold + remaining == capacity, f"tier {tier}: sold {sold} + remaining {remaining} != {capacity}"
    booked_ids = sorted(t["id"] for o in outcomes if o.status == 201 for t in o.body["tickets"])
    assert [t.id for t in tickets_of_show(database, show_id)] == booked_ids


def test_ten_buyers_for_the_last_vip_ticket(urls, factory, database):
    show = factory.ga_show({1: (1, 10000), 3: (100, 1000)})
    users = [factory.user() for _ in range(10)]

    outcomes = race(urls, [(u.auth, _ga(show.id, {1: 1})) for u in users])

    assert Counter(o.status for o in outcomes) == {201: 1, 409: 9}
    assert all(o.body == {"error": "INSUFFICIENT_INVENTORY", "message": "Not enough tickets left for VIP."}
               for o in outcomes if o.status == 409)
    assert tier_counts(database, show.id)[1] == (1, 0, 1)
    assert_ga_invariants(database, show.id, outcomes)


def test_multi_tier_buyers_never_oversell_any_tier(urls, factory, database):
    show = factory.ga_show({1: (40, 10000), 3: (60, 1000)})
    users = [factory.user() for _ in range(10)]
    rng = random.Random(7)
    requests = [(users[i % 10].auth, _ga(show.id, {1: rng.randint(1, 3), 3: rng.randint(1, 3)})) for i in range(150)]

    outcomes = race(urls, requests)

    assert set(o.status for o in outcomes) <= {201, 409}
    assert any(o.status == 201 for o in outcomes) and any(o.status == 409 for o in outcomes)
    assert_ga_invariants(database, show.id, outcomes)


def _sold_change_rows(database, show_id: int) -> int:
    with database.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t.availability_change).where(
            t.availability_change.c.event_date_id == show_id, t.availability_change.c.kind == "sold")).scalar_one()


def test_simultaneous_ga_orders_share_transactions_and_each_gets_its_own_answer(urls, factory, database):
    """Group commit (booking/grouping.py): 60 orders at once are booked in fewer transactions than orders (one
    change-log row per transaction), and every order still gets exactly its own tickets."""
    show = factory.ga_show({3: (1000, 1000)})
    users = [factory.user() for _ in range(60)]
    wanted = [random.randint(1, 4) for _ in users]

    outcomes = race(urls, [(u.auth, _ga(show.id, {3: q})) for u, q in zip(users, wanted)])

    assert [o.status for o in outcomes] == [201] * 60
    assert [len(o.body["tickets"]) for o in outcomes] == wanted
    assert [o.body["totalAmount"] for o in outcomes] == [10 * q for q in wanted]
    assert len({o.body["orderId"] for o in outcomes}) == 60
    assert_ga_invariants(database, show.id, outcomes)
    assert tier_counts(database, show.id)[3] == (1000, 1000 - sum(wanted), sum(wanted))
    assert _sold_change_rows(database, show.id) < 60  # some orders shared a transaction


def test_a_group_that_does_not_fit_is_decided_order_by_order(urls, factory, database):
    """40 orders of 2 for 25 tickets: no group of them fits as a whole near the end, yet every ticket that can
    be sold is sold, one by one, and nobody gets a partial order."""
    show = factory.ga_show({3: (25, 1000)})
    users = [factory.user() for _ in range(40)]

    outcomes = race(urls, [(u.auth, _ga(show.id, {3: 2})) for u in users])

    statuses = Counter(o.status for o in outcomes)
    assert statuses == {201: 12, 409: 28}, statuses
    assert all(len(o.body["tickets"]) == 2 for o in outcomes if o.status == 201)
    assert all(o.body["error"] == "INSUFFICIENT_INVENTORY" for o in outcomes if o.status == 409)
    assert_ga_invariants(database, show.id, outcomes)
    assert tier_counts(database, show.id)[3] == (25, 1, 24)


def test_fifty_buyers_for_one_seat(urls, factory, database):
    show = factory.seated_show(rows=1, per_row=5)
    users = [factory.user() for _ in range(10)]

    outcomes = race(urls, [(users[i % 10].auth, _seats(show.id, [show.seat_ids[2]])) for i in range(50)])

    assert Counter(o.status for o in outcomes) == {201: 1, 409: 49}
    assert all(o.body["error"] == "SEAT_ALREADY_TAKEN" for o in outcomes if o.status == 409)
    assert [t.seat_id for t in tickets_of_show(database, show.id)] == [show.seat_ids[2]]


def test_overlapping_multi_seat_orders_never_share_a_seat(urls, factory, database):
    show = factory.seated_show(rows=5, per_row=20)
    users = [factory.user() for _ in range(10)]
    rng = random.Random(11)
    requests = []
    for i in range(300):
        size = rng.randint(1, 4)
        start = rng.randint(0, len(show.seat_ids) - size)
        requests.append((users[i % 10].auth, _seats(show.id, show.seat_ids[start:start + size])))

    outcomes = race(urls, requests)

    assert set(o.status for o in outcomes) <= {201, 409}
    won = [o for o in outcomes if o.status == 201]
    assert won and len(won) < len(outcomes)
    labels = [t["seatLabel"] for o in won for t in o.body["tickets"]]
    assert len(labels) == len(set(labels)), "a seat was sold twice"
    rows = tickets_of_show(database, show.id)
    assert len({r.seat_id for r in rows}) == len(rows)
    assert sorted(r.id for r in rows) == sorted(t["id"] for o in won for t in o.body["tickets"])


def test_a_seat_order_is_refused_only_for_a_seat_someone_else_got(urls, factory, database):
    """Seat orders that arrive together share a transaction (booking/grouping.py), where an order that misses
    a seat is undone again: its other seats must not be lost to it. So every 409 names an order with at least
    one seat that another order holds at the end, and groups did form (fewer change rows than sales)."""
    show = factory.seated_show(rows=4, per_row=20)
    users = [factory.user() for _ in range(120)]
    rng = random.Random(5)
    wanted = []
    for _ in users:
        size = rng.randint(1, 4)
        start = rng.randint(0, len(show.seat_ids) - size)
        wanted.append(show.seat_ids[start:start + size])

    outcomes = race(urls, [(u.auth, _seats(show.id, seats)) for u, seats in zip(users, wanted)])

    assert set(o.status for o in outcomes) <= {201, 409}
    owner = {r.seat_id: r.order_id for r in tickets_of_show(database, show.id)}
    for seats, o in zip(wanted, outcomes):
        if o.status == 201:
            assert {owner.get(s) for s in seats} == {o.body["orderId"]}
        else:
            assert o.body["error"] == "SEAT_ALREADY_TAKEN"
            assert any(s in owner for s in seats), f"refused although all of {seats} are still free"
    won = [o for o in outcomes if o.status == 201]
    assert sorted(owner) == sorted(s for seats, o in zip(wanted, outcomes) if o.status == 201 for s in seats)
    assert _sold_change_rows(database, show.id) < len(won)


def test_control_naive_check_then_act_oversells(database, factory):
    """The same harness against a deliberately naive path must catch the oversell, or the tests above prove nothing."""
    naive = ServerProcess(database.async_url, app="tests.support.naive_app:create_app").wait_ready()
    try:
        show = factory.ga_show({1: (1, 10000)})
        users = [factory.user() for _ in range(10)]
        outcomes = race([naive.url], [(u.auth, _ga(show.id, {1: 1})) for u in users], path="/api/naive-bookings")
    finally:
        naive.stop()

    capacity, remaining, sold = tier_counts(database, show.id)[1]
    assert sum(o.status == 201 for o in outcomes) > 1
    assert sold > capacity and sold + remaining != capacity
