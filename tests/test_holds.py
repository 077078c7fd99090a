"""Holds: a cart that expires, on top of the same database guarantees as bookings.

The clock is controlled by moving a hold's expiry into the past (`expire_holds`), the way time passing would.
"""

import random
from collections import Counter

import httpx
import pytest

from tests.support.factories import expire_holds, held_quantities, tickets_of_show, tier_counts
from tests.support.race import Call, race, race_calls


def _ga(show_id, tiers, **extra):
    return {"eventDateId": show_id, "customerName": "Holder", "paymentSource": "card",
            "tiers": [{"ticketTypeId": t, "quantity": q} for t, q in tiers.items()], **extra}


def _seats(show_id, seat_ids, **extra):
    return {"eventDateId": show_id, "customerName": "Holder", "paymentSource": "card",
            "seats": [{"seatId": s} for s in seat_ids], **extra}


def _convert(show_id, hold_id, **extra):
    return {"eventDateId": show_id, "customerName": "Holder", "paymentSource": "card", "holdId": hold_id, **extra}


def _seat_statuses(api, show_id) -> dict[int, str]:
    body = api.get(f"/api/event-dates/{show_id}/availability").json()
    return {s["seatId"]: s["status"] for sec in body["sections"] for row in sec["rows"] for s in row["seats"]}


def _remaining(api, show_id) -> dict[int, int]:
    return {t["id"]: t["remaining"] for t in api.get(f"/api/event-dates/{show_id}/availability").json()["tiers"]}


def assert_ga_sums(database, show_id) -> None:
    held = held_quantities(database, show_id)
    for tier, (capacity, remaining, sold) in tier_counts(database, show_id).items():
        assert sold + remaining + held.get(tier, 0) == capacity, (tier, capacity, remaining, sold, held)


def test_hold_seats_then_book_them(api, factory, database):
    show = factory.seated_show(rows=1, per_row=5)
    user, other = factory.user(), factory.user()
    seats = show.seat_ids[1:3]

    hold = api.post("/api/holds", headers=user.auth, json=_seats(show.id, seats))

    assert hold.status_code == 201
    body = hold.json()
    assert set(body) >= {"holdId", "expiresAt", "items", "status", "totalAmount"}
    assert body["status"] == "active" and body["totalAmount"] == 200
    assert [(i["seatId"], i["price"], i["ticketType"]) for i in body["items"]] == [(s, 100, "VIP") for s in seats]
    statuses = _seat_statuses(api, show.id)
    assert [statuses[s] for s in show.seat_ids] == ["available", "held", "held", "available", "available"]
    blocked = api.post("/api/bookings", headers=other.auth, json=_seats(show.id, [seats[0]]))
    assert (blocked.status_code, blocked.json()["error"]) == (409, "SEAT_ALREADY_TAKEN")

    booked = api.post("/api/bookings", headers=user.auth, json=_convert(show.id, body["holdId"]))

    assert booked.status_code == 201
    assert set(booked.json()) == {"orderId", "totalAmount", "tickets"}
    assert [t["seatLabel"] for t in booked.json()["tickets"]] == ["A-1-2", "A-1-3"]
    assert sorted(t.seat_id for t in tickets_of_show(database, show.id)) == sorted(seats)
    assert [_seat_statuses(api, show.id)[s] for s in seats] == ["sold", "sold"]
    assert api.get(f"/api/holds/{body['holdId']}", headers=user.auth).json()["status"] == "converted"


def test_hold_ga_then_book(api, factory, database):
    show = factory.ga_show({1: (10, 10000), 3: (100, 1000)})
    user = factory.user()

    hold = api.post("/api/holds", headers=user.auth, json=_ga(show.id, {1: 2, 3: 3}))

    assert hold.status_code == 201
    assert hold.json()["totalAmount"] == 230
    assert _remaining(api, show.id) == {1: 8, 3: 97}
    assert_ga_sums(database, show.id)
    booked = api.post("/api/bookings", headers=user.auth, json=_convert(show.id, hold.json()["holdId"]))
    assert booked.status_code == 201
    assert [t["ticketType"] for t in booked.json()["tickets"]] == ["VIP", "VIP", "GA", "GA", "GA"]
    assert tier_counts(database, show.id) == {1: (10, 8, 2), 3: (100, 97, 3)}
    assert_ga_sums(database, show.id)


def test_a_direct_booking_never_takes_held_ga_inventory(api, factory, database):
    show = factory.ga_show({1: (3, 10000)})
    holder, buyer = factory.user(), factory.user()
    assert api.post("/api/holds", headers=holder.auth, json=_ga(show.id, {1: 3})).status_code == 201

    response = api.post("/api/bookings", headers=buyer.auth, json=_ga(show.id, {1: 1}))

    assert (response.status_code, response.json()["error"]) == (409, "INSUFFICIENT_INVENTORY")
    assert_ga_sums(database, show.id)


def test_an_expired_seat_hold_lets_another_user_take_the_seat(api, factory, database):
    show = factory.seated_show(rows=1, per_row=3)
    holder, buyer = factory.user(), factory.user()
    hold = api.post("/api/holds", headers=holder.auth, json=_seats(show.id, [show.seat_ids[0]])).json()
    expire_holds(database, hold["holdId"])
    assert _seat_statuses(api, show.id)[show.seat_ids[0]] == "available"
    assert api.get(f"/api/holds/{hold['holdId']}", headers=holder.auth).json()["status"] == "expired"

    taken = api.post("/api/bookings", headers=buyer.auth, json=_seats(show.id, [show.seat_ids[0]]))
    late = api.post("/api/bookings", headers=holder.auth, json=_convert(show.id, hold["holdId"]))

    assert taken.status_code == 201
    assert (late.status_code, late.json()["error"]) == (409, "HOLD_EXPIRED")
    assert [t.order_id for t in tickets_of_show(database, show.id)] == [taken.json()["orderId"]]


def test_an_expired_ga_hold_never_blocks_a_buyer(api, factory, database):
    show = factory.ga_show({1: (3, 10000)})
    holder, buyer = factory.user(), factory.user()
    hold = api.post("/api/holds", headers=holder.auth, json=_ga(show.id, {1: 3})).json()
    expire_holds(database, hold["holdId"])
    assert _remaining(api, show.id) == {1: 3}

    response = api.post("/api/bookings", headers=buyer.auth, json=_ga(show.id, {1: 2}))

    assert response.status_code == 201
    assert tier_counts(database, show.id) == {1: (3, 1, 2)}  # the hold's 3 came back exactly once
    assert_ga_sums(database, show.id)


def test_converting_an_expired_hold_is_409_and_books_nothing(api, factory, database):
    show = factory.ga_show({3: (10, 1000)})
    user = factory.user()
    hold = api.post("/api/holds", headers=user.auth, json=_ga(show.id, {3: 4})).json()
    expire_holds(database, hold["holdId"])

    response = api.post("/api/bookings", headers=user.auth, json=_convert(show.id, hold["holdId"]))

    assert (response.status_code, response.json()["error"]) == (409, "HOLD_EXPIRED")
    assert tier_counts(database, show.id) == {3: (10, 10, 0)}
    assert_ga_sums(database, show.id)


def test_a_new_hold_replaces_the_users_previous_hold_on_that_show(api, factory, database):
    show = factory.seated_show(rows=1, per_row=4)
    user = factory.user()
    first = api.post("/api/holds", headers=user.auth, json=_seats(show.id, [show.seat_ids[0]])).json()

    second = api.post("/api/holds", headers=user.auth, json=_seats(show.id, [show.seat_ids[1]]))

    assert second.status_code == 201
    statuses = _seat_statuses(api, show.id)
    assert (statuses[show.seat_ids[0]], statuses[show.seat_ids[1]]) == ("available", "held")
    assert api.get(f"/api/holds/{first['holdId']}", headers=user.auth).json()["status"] == "released"


def test_a_hold_sent_again_for_the_same_seats_replaces_the_first(api, factory):
    """A hold whose answer was lost and is sent again (no Idempotency-Key for holds) gets the same seats: the
    new hold releases the user's previous one in its own transaction before it takes them."""
    show = factory.seated_show(rows=1, per_row=4)
    user = factory.user()
    body = _seats(show.id, show.seat_ids[:2])
    first = api.post("/api/holds", headers=user.auth, json=body).json()

    again = api.post("/api/holds", headers=user.auth, json=body)

    assert again.status_code == 201
    assert {i["seatId"] for i in again.json()["items"]} == set(show.seat_ids[:2])
    statuses = _seat_statuses(api, show.id)
    assert [statuses[s] for s in show.seat_ids] == ["held", "held", "available", "available"]
    assert api.get(f"/api/holds/{first['holdId']}", headers=user.auth).json()["status"] == "released"


def test_release_puts_inventory_back_and_is_idempotent(api, factory, database):
    show = factory.ga_show({3: (10, 1000)})
    user = factory.user()
    hold = api.post("/api/holds", headers=user.auth, json=_ga(show.id, {3: 4})).json()

    assert api.delete(f"/api/holds/{hold['holdId']}", headers=user.auth).status_code == 204
    assert api.delete(f"/api/holds/{hold['holdId']}", headers=user.auth).status_code == 204
    assert _remaining(api, show.id) == {3: 10}
    converted = api.post("/api/bookings", headers=user.auth, json=_convert(show.id, hold["holdId"]))
    assert (converted.status_code, converted.json()["error"]) == (409, "HOLD_NOT_ACTIVE")
    assert tier_counts(database, show.id) == {3: (10, 10, 0)}


def test_a_hold_belongs_to_its_user(api, factory):
    show = factory.ga_show({3: (10, 1000)})
    owner, other = factory.user(), factory.user()
    hold_id = api.post("/api/holds", headers=owner.auth, json=_ga(show.id, {3: 1})).json()["holdId"]

    assert api.get(f"/api/holds/{hold_id}", headers=other.auth).status_code == 404
    assert api.delete(f"/api/holds/{hold_id}", headers=other.auth).status_code == 404
    assert api.post("/api/bookings", headers=other.auth, json=_convert(show.id, hold_id)).status_code == 404
    assert api.get(f"/api/holds/{hold_id}").status_code == 401
    assert api.get(f"/api/holds/{hold_id}", headers=owner.auth).json()["status"] == "active"


@pytest.mark.parametrize("body, code", [
    ({"tiers": [{"ticketTypeId": 3, "quantity": 0}]}, "VALIDATION_ERROR"),
    ({"tiers": [{"ticketTypeId": 3, "quantity": 11}]}, "ORDER_LIMIT_EXCEEDED"),
    ({"holdId": 1}, "HOLD_NOT_ACTIVE"),
])
def test_bad_holds_are_rejected(body, code, api, factory, database):
    show = factory.ga_show({3: (100, 1000)})
    user = factory.user()
    payload = {"eventDateId": show.id, "customerName": "H", "paymentSource": "card", **body}
    response = api.post("/api/holds", headers=user.auth, json=payload)
    assert response.json()["error"] == code
    assert tier_counts(database, show.id) == {3: (100, 100, 0)}


@pytest.fixture(params=[1, 2], ids=["1-process", "2-processes"])
def urls(request, server) -> list[str]:
    return [server.url] if request.param == 1 else [server.url, request.getfixturevalue("second_server").url]


@pytest.mark.race
def test_two_users_racing_for_one_seat_hold_exactly_one_wins(urls, factory, database):
    show = factory.seated_show(rows=1, per_row=3)
    users = [factory.user() for _ in range(20)]

    outcomes = race(urls, [(u.auth, _seats(show.id, [show.seat_ids[1]])) for u in users], path="/api/holds")

    assert Counter(o.status for o in outcomes) == {201: 1, 409: 19}


@pytest.mark.race
@pytest.mark.parametrize("expired", [True, False], ids=["expired-hold", "live-hold"])
def test_release_expiry_and_conversion_racing_return_ga_inventory_once(expired, urls, factory, database):
    show = factory.ga_show({1: (4, 10000)})
    holder = factory.user()
    others = [factory.user() for _ in range(10)]
    response = httpx.post(f"{urls[0]}/api/holds", headers=holder.auth, json=_ga(show.id, {1: 4}), timeout=30)
    hold_id = response.json()["holdId"]
    if expired:
        expire_holds(database, hold_id)
    rng = random.Random(3)
    calls = []
    for i in range(50):
        kind = rng.choice(["release", "convert", "buy"])
        if kind == "release":
            calls.append(Call("DELETE", f"/api/holds/{hold_id}", holder.auth))
        elif kind == "convert":
            calls.append(Call("POST", "/api/bookings", holder.auth, _convert(show.id, hold_id)))
        else:  # a direct buyer who needs the held tickets back (expiry clean-up on demand)
            calls.append(Call("POST", "/api/bookings", others[i % 10].auth, _ga(show.id, {1: 1})))

    outcomes = race_calls(urls, calls)

    assert all(o.status < 500 for o in outcomes), [o for o in outcomes if o.status >= 500]
    assert_ga_sums(database, show.id)
    conversions = [o for c, o in zip(calls, outcomes) if c.json and "holdId" in c.json and o.status == 201]
    assert len({o.body["orderId"] for o in conversions}) <= 1
    if expired:
        assert not conversions
    capacity, remaining, sold = tier_counts(database, show.id)[1]
    assert sold + remaining + held_quantities(database, show.id).get(1, 0) == capacity == 4
