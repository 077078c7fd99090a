"""POST /api/bookings with `pickSeats`: the box office picks N free seats side by side in one row.

The picking process's view of free seats is only a hint; these tests prove the booking still decides (no seat twice,
all or nothing) and that the view catches up with sales, holds and releases made elsewhere.
"""

import random
import time
from collections import Counter

import pytest

from tests.support.factories import tickets_of_show
from tests.support.race import race


def pick_body(show_id: int, quantity: int, **pick) -> dict:
    return {"eventDateId": show_id, "customerName": "Pat Picker", "paymentSource": "test-card-4242",
            "pickSeats": {"quantity": quantity, **pick}}


def _row_and_numbers(tickets: list[dict]) -> tuple[str, list[int]]:
    """("A-2", [3, 4, 5]) for tickets labelled A-2-3, A-2-4, A-2-5."""
    rows = {t["seatLabel"].rsplit("-", 1)[0] for t in tickets}
    assert len(rows) == 1, f"seats in more than one row: {tickets}"
    return rows.pop(), sorted(int(t["seatLabel"].rsplit("-", 1)[1]) for t in tickets)


def assert_side_by_side(tickets: list[dict], quantity: int) -> None:
    _, numbers = _row_and_numbers(tickets)
    assert numbers == list(range(numbers[0], numbers[0] + quantity)), tickets


def test_picks_seats_side_by_side_and_books_them(api, factory, database):
    show = factory.seated_show(rows=3, per_row=10)
    user = factory.user()

    response = api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 3))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"orderId", "totalAmount", "tickets"}
    assert len(body["tickets"]) == 3 and all(t["toName"] == "Pat Picker" for t in body["tickets"])
    assert_side_by_side(body["tickets"], 3)
    assert body["totalAmount"] in (75, 300)  # three GA seats (25.00) or three VIP (100.00): one tier per pick
    stored = tickets_of_show(database, show.id)
    assert [t.id for t in stored] == sorted(t["id"] for t in body["tickets"])


def test_picks_only_the_tier_and_section_asked_for(api, factory):
    show = factory.seated_show(rows=3, per_row=10)  # row 1 VIP (ticket type 1), rows 2-3 GA (3)
    user = factory.user()

    vip = api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 4, ticketTypeId=1, section="A"))
    ga = api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 4, ticketTypeId=3))

    assert vip.status_code == 201 and ga.status_code == 201
    assert {t["ticketType"] for t in vip.json()["tickets"]} == {"VIP"}
    assert _row_and_numbers(vip.json()["tickets"])[0] == "A-1"
    assert {t["ticketType"] for t in ga.json()["tickets"]} == {"GA"}
    assert _row_and_numbers(ga.json()["tickets"])[0] in ("A-2", "A-3")


def test_fills_the_gaps_and_then_says_none_are_left(api, factory, database):
    show = factory.seated_show(rows=1, per_row=5)
    user = factory.user()
    # Seats 2 and 4 sold: only seat 1, seat 3 and seat 5 are left, none of them side by side.
    assert api.post("/api/bookings", headers=user.auth, json={
        **pick_body(show.id, 1), "pickSeats": None, "seats": [{"seatId": show.seat_ids[1]}, {"seatId": show.seat_ids[3]}],
    }).status_code == 201

    two = api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 2))
    singles = [api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 1)) for _ in range(3)]
    after = api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 1))

    assert two.status_code == 409
    assert two.json() == {"error": "INSUFFICIENT_INVENTORY", "message": "No 2 seats side by side are left."}
    assert [r.status_code for r in singles] == [201, 201, 201]
    assert sorted(r.json()["tickets"][0]["seatLabel"] for r in singles) == ["A-1-1", "A-1-3", "A-1-5"]
    assert after.status_code == 409 and after.json()["error"] == "INSUFFICIENT_INVENTORY"
    assert len(tickets_of_show(database, show.id)) == 5


@pytest.mark.parametrize("pick, status, error", [
    ({"quantity": 2, "section": "Z"}, 422, "SECTION_NOT_AVAILABLE"),
    ({"quantity": 2, "ticketTypeId": 2}, 422, "TICKET_TYPE_NOT_AVAILABLE"),
    ({"quantity": 11}, 422, "ORDER_LIMIT_EXCEEDED"),
    ({"quantity": 0}, 422, "VALIDATION_ERROR"),
    ({"quantity": 2, "section": ""}, 422, "VALIDATION_ERROR"),
    ({}, 422, "VALIDATION_ERROR"),
])
def test_bad_picks_are_refused_and_book_nothing(api, factory, database, pick, status, error):
    show = factory.seated_show(rows=2, per_row=10)
    user = factory.user()

    response = api.post("/api/bookings", headers=user.auth, json={**pick_body(show.id, 1), "pickSeats": pick})

    assert (response.status_code, response.json()["error"]) == (status, error)
    assert tickets_of_show(database, show.id) == []


def test_a_sold_out_tier_or_section_is_named_in_the_refusal(api, factory):
    show = factory.seated_show(rows=2, per_row=2)  # row 1 VIP: two seats
    user = factory.user()
    assert api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 2, ticketTypeId=1)).status_code == 201

    vip = api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 1, ticketTypeId=1, section="A"))
    three = api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 3))

    assert (vip.status_code, vip.json()) == (409, {
        "error": "INSUFFICIENT_INVENTORY", "message": "No VIP seat is left in section A."})
    assert (three.status_code, three.json()["message"]) == (409, "No 3 seats side by side are left.")


def test_pick_with_seats_or_on_a_ga_show_is_refused(api, factory, database):
    seated = factory.seated_show(rows=1, per_row=5)
    ga = factory.ga_show({3: (10, 1000)})
    user = factory.user()

    both = api.post("/api/bookings", headers=user.auth,
                    json={**pick_body(seated.id, 1), "seats": [{"seatId": seated.seat_ids[0]}]})
    on_ga = api.post("/api/bookings", headers=user.auth, json=pick_body(ga.id, 1))

    assert (both.status_code, both.json()["error"]) == (422, "VALIDATION_ERROR")
    assert (on_ga.status_code, on_ga.json()["error"]) == (422, "SEATING_MODE_MISMATCH")
    assert tickets_of_show(database, seated.id) == [] and tickets_of_show(database, ga.id) == []


def test_a_keyed_retry_gets_the_same_seats(api, factory, database):
    show = factory.seated_show(rows=2, per_row=10)
    user = factory.user()
    headers = {**user.auth, "Idempotency-Key": "pick-retry-1"}

    first = api.post("/api/bookings", headers=headers, json=pick_body(show.id, 2))
    retry = api.post("/api/bookings", headers=headers, json=pick_body(show.id, 2))

    assert first.status_code == 201 and retry.status_code == 201
    assert retry.json() == first.json()
    assert len(tickets_of_show(database, show.id)) == 2


def test_a_hold_can_have_its_seats_picked_and_then_be_booked(api, factory, database):
    show = factory.seated_show(rows=2, per_row=10)
    user = factory.user()

    hold = api.post("/api/holds", headers=user.auth, json=pick_body(show.id, 3, ticketTypeId=3))

    assert hold.status_code == 201
    items = hold.json()["items"]
    assert [i["ticketType"] for i in items] == ["GA"] * 3
    assert_side_by_side([{"seatLabel": i["seatLabel"]} for i in items], 3)
    booked = api.post("/api/bookings", headers=user.auth, json={
        "eventDateId": show.id, "customerName": "Pat Picker", "paymentSource": "card", "holdId": hold.json()["holdId"]})
    assert booked.status_code == 201
    assert sorted(t["seatLabel"] for t in booked.json()["tickets"]) == sorted(i["seatLabel"] for i in items)
    assert {t.seat_id for t in tickets_of_show(database, show.id)} == {i["seatId"] for i in items}


def test_a_hold_for_more_seats_together_than_are_left_is_refused(api, factory, database):
    show = factory.seated_show(rows=1, per_row=3)
    user = factory.user()

    hold = api.post("/api/holds", headers=user.auth, json=pick_body(show.id, 4))

    assert hold.status_code == 409
    assert hold.json() == {"error": "INSUFFICIENT_INVENTORY", "message": "No 4 seats side by side are left."}
    assert tickets_of_show(database, show.id) == []


def test_seats_sold_held_and_released_elsewhere_reach_the_view(api, factory, database, second_server):
    """The second process sells two seats and holds two after this one's view was loaded: the two seats left are
    picked here, then none, and the released hold's two seats are picked again."""
    import httpx

    show = factory.seated_show(rows=1, per_row=7)
    user, holder = factory.user(), factory.user()
    first = api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 1))  # loads this process's view
    assert first.status_code == 201
    first_seat = first.json()["tickets"][0]["seatLabel"]
    free = [s for s, n in zip(show.seat_ids, range(1, 8)) if f"A-1-{n}" != first_seat]
    with httpx.Client(base_url=second_server.url, timeout=30) as elsewhere:
        assert elsewhere.post("/api/bookings", headers=user.auth, json={
            **pick_body(show.id, 1), "pickSeats": None, "seats": [{"seatId": s} for s in free[:2]]}).status_code == 201
        hold = elsewhere.post("/api/holds", headers=holder.auth, json={
            "eventDateId": show.id, "customerName": "Holder", "paymentSource": "card",
            "seats": [{"seatId": s} for s in free[2:4]]})
        assert hold.status_code == 201

        picked = [api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 1)) for _ in range(2)]
        sold_out = api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 1))
        assert elsewhere.delete(f"/api/holds/{hold.json()['holdId']}", headers=holder.auth).status_code == 204
    time.sleep(1.1)  # a view that has nothing to offer is re-read at most once a second
    after_release = [api.post("/api/bookings", headers=user.auth, json=pick_body(show.id, 1)) for _ in range(2)]

    assert [r.status_code for r in picked] == [201, 201]
    assert (sold_out.status_code, sold_out.json()["error"]) == (409, "INSUFFICIENT_INVENTORY")
    assert [r.status_code for r in after_release] == [201, 201]
    assert len(tickets_of_show(database, show.id)) == 7


@pytest.mark.race
@pytest.mark.parametrize("processes", [1, 2])
def test_a_rush_of_picks_never_sells_a_seat_twice_and_sells_every_seat(api, factory, database, server, processes,
                                                                        request):
    urls = [server.url] if processes == 1 else [server.url, request.getfixturevalue("second_server").url]
    show = factory.seated_show(rows=6, per_row=10)  # 60 seats
    users = [factory.user() for _ in range(12)]
    rng = random.Random(11)
    wanted = [rng.randint(1, 4) for _ in range(60)]  # ~150 seats asked for 60

    outcomes = race(urls, [(users[i % 12].auth, pick_body(show.id, q)) for i, q in enumerate(wanted)])

    assert Counter(o.status for o in outcomes).keys() <= {201, 409}
    for outcome, quantity in zip(outcomes, wanted):
        if outcome.status == 201:
            assert_side_by_side(outcome.body["tickets"], quantity)
        else:
            assert outcome.body["error"] in ("INSUFFICIENT_INVENTORY", "SEAT_ALREADY_TAKEN"), outcome.body
    booked = [t["id"] for o in outcomes if o.status == 201 for t in o.body["tickets"]]
    stored = tickets_of_show(database, show.id)
    assert sorted(booked) == [t.id for t in stored]
    assert len({t.seat_id for t in stored}) == len(stored)
    # Whatever the rush left, one seat at a time sells to the last seat, then the show is sold out.
    time.sleep(1.1)
    singles = [api.post("/api/bookings", headers=users[0].auth, json=pick_body(show.id, 1))
               for _ in range(60 - len(stored))]
    assert [r.status_code for r in singles] == [201] * (60 - len(stored))
    last = api.post("/api/bookings", headers=users[0].auth, json=pick_body(show.id, 1))
    assert (last.status_code, last.json()["error"]) == (409, "INSUFFICIENT_INVENTORY")
    assert len({t.seat_id for t in tickets_of_show(database, show.id)}) == 60
