"""POST /api/bookings: GA and seated success, prices from the database, auth and idempotency."""

import concurrent.futures

from tests.support.factories import snapshot, tier_counts, tickets_of_show


def ga_body(show_id: int, *tiers: tuple[int, int], **extra) -> dict:
    return {"eventDateId": show_id, "customerName": "Alice Example", "paymentSource": "test-card-4242",
            "tiers": [{"ticketTypeId": t, "quantity": q} for t, q in tiers], **extra}


def seat_body(show_id: int, *seat_ids: int, **extra) -> dict:
    return {"eventDateId": show_id, "customerName": "Bob Example", "paymentSource": "test-card-4242",
            "seats": [{"seatId": s} for s in seat_ids], **extra}


def test_ga_booking_has_the_spec_shape_and_takes_inventory(api, factory, database):
    show = factory.ga_show({1: (50, 10000), 3: (500, 1000)})
    user = factory.user()

    response = api.post("/api/bookings", headers=user.auth, json=ga_body(show.id, (1, 2), (3, 3)))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"orderId", "totalAmount", "tickets"}
    assert body["totalAmount"] == 230
    assert [t["ticketType"] for t in body["tickets"]] == ["VIP", "VIP", "GA", "GA", "GA"]
    assert all(set(t) == {"id", "ticketType", "seatLabel", "toName"} for t in body["tickets"])
    assert all(t["seatLabel"] is None and t["toName"] == "Alice Example" for t in body["tickets"])
    assert tier_counts(database, show.id) == {1: (50, 48, 2), 3: (500, 497, 3)}
    assert [t.id for t in tickets_of_show(database, show.id)] == [t["id"] for t in body["tickets"]]


def test_seated_booking_has_the_spec_shape(api, factory, database):
    show = factory.seated_show(rows=2, per_row=5)
    user = factory.user()
    first, second = show.seat_ids[0], show.seat_ids[1]

    response = api.post("/api/bookings", headers=user.auth, json={
        **seat_body(show.id), "seats": [{"seatId": first, "ticketTypeId": 1}, {"seatId": second, "ticketTypeId": 1}]})

    assert response.status_code == 201
    body = response.json()
    assert body["totalAmount"] == 200
    assert [(t["ticketType"], t["seatLabel"], t["toName"]) for t in body["tickets"]] == [
        ("VIP", "A-1-1", "Bob Example"), ("VIP", "A-1-2", "Bob Example")]
    assert {t.seat_id for t in tickets_of_show(database, show.id)} == {first, second}


def test_seated_booking_takes_tier_and_price_from_the_seat(api, factory):
    show = factory.seated_show(rows=2, per_row=5)
    user = factory.user()

    response = api.post("/api/bookings", headers=user.auth, json=seat_body(show.id, show.seat_ids[0], show.seat_ids[7]))

    assert response.status_code == 201
    assert response.json()["totalAmount"] == 125
    assert [t["ticketType"] for t in response.json()["tickets"]] == ["VIP", "GA"]


def test_a_sold_seat_cannot_be_booked_again(api, factory, database):
    show = factory.seated_show(rows=1, per_row=4)
    alice, bob = factory.user(), factory.user()
    assert api.post("/api/bookings", headers=alice.auth, json=seat_body(show.id, show.seat_ids[1])).status_code == 201
    before = snapshot(database)

    response = api.post("/api/bookings", headers=bob.auth, json=seat_body(show.id, show.seat_ids[0], show.seat_ids[1]))

    assert response.status_code == 409
    assert response.json() == {"error": "SEAT_ALREADY_TAKEN",
                               "message": "One or more selected seats are no longer available."}
    assert snapshot(database) == before  # the free seat of the same order was not booked either


def test_insufficient_inventory_names_the_tier_and_books_nothing(api, factory, database):
    show = factory.ga_show({1: (2, 10000), 3: (100, 1000)})
    user = factory.user()
    before = snapshot(database)

    response = api.post("/api/bookings", headers=user.auth, json=ga_body(show.id, (3, 2), (1, 3)))

    assert response.status_code == 409
    assert response.json() == {"error": "INSUFFICIENT_INVENTORY", "message": "Not enough tickets left for VIP."}
    assert snapshot(database) == before
    assert tier_counts(database, show.id) == {1: (2, 2, 0), 3: (100, 100, 0)}


def test_booking_requires_login(api, factory, database):
    show = factory.ga_show({3: (10, 1000)})
    before = snapshot(database)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwdw=="}):
        response = api.post("/api/bookings", headers=headers, json=ga_body(show.id, (3, 1)))
        assert response.status_code == 401
        assert response.json()["error"] == "UNAUTHORIZED"
    assert snapshot(database) == before


def test_expired_token_is_rejected(api, factory):
    from datetime import timedelta

    show = factory.ga_show({3: (10, 1000)})
    user = factory.user(token_expires_in=timedelta(seconds=-1))
    response = api.post("/api/bookings", headers=user.auth, json=ga_body(show.id, (3, 1)))
    assert response.status_code == 401


def test_user_id_in_body_must_match_the_token(api, factory, database):
    show = factory.ga_show({3: (10, 1000)})
    alice, bob = factory.user(), factory.user()
    assert api.post("/api/bookings", headers=alice.auth,
                    json=ga_body(show.id, (3, 1), userId=alice.id)).status_code == 201
    before = snapshot(database)

    response = api.post("/api/bookings", headers=alice.auth, json=ga_body(show.id, (3, 1), userId=bob.id))

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert snapshot(database) == before


def test_idempotency_key_replays_the_first_booking(api, factory, database):
    show = factory.ga_show({3: (10, 1000)})
    user = factory.user()
    headers = {**user.auth, "Idempotency-Key": "checkout-123"}

    first = api.post("/api/bookings", headers=headers, json=ga_body(show.id, (3, 2)))
    again = api.post("/api/bookings", headers=headers, json=ga_body(show.id, (3, 2)))
    legacy = api.post("/api/bookings", headers={**user.auth, "X-Idempotency-Key": "checkout-123"},
                      json=ga_body(show.id, (3, 2)))

    assert first.status_code == again.status_code == legacy.status_code == 201
    assert first.json() == again.json() == legacy.json()
    assert tier_counts(database, show.id) == {3: (10, 8, 2)}


def test_a_retried_seat_booking_replays_even_though_its_seats_are_sold(api, factory, database):
    """The retry of a seat booking whose first request committed (its answer lost on the way) finds its own seats
    sold: it must get the first booking's answer, not SEAT_ALREADY_TAKEN, and book nothing more."""
    show = factory.seated_show(rows=1, per_row=4)
    user = factory.user()
    headers = {**user.auth, "Idempotency-Key": "seats-retry-1"}
    body = seat_body(show.id, show.seat_ids[0], show.seat_ids[1])

    first = api.post("/api/bookings", headers=headers, json=body)
    before = snapshot(database)
    again = api.post("/api/bookings", headers=headers, json=body)

    assert first.status_code == again.status_code == 201, again.text
    assert first.json() == again.json()
    assert snapshot(database) == before


def test_a_retried_ga_booking_replays_after_its_tier_sold_out(api, factory, database):
    show = factory.ga_show({3: (3, 1000)})
    user, other = factory.user(), factory.user()
    headers = {**user.auth, "Idempotency-Key": "ga-retry-1"}

    first = api.post("/api/bookings", headers=headers, json=ga_body(show.id, (3, 2)))
    assert api.post("/api/bookings", headers=other.auth, json=ga_body(show.id, (3, 1))).status_code == 201
    before = snapshot(database)
    again = api.post("/api/bookings", headers=headers, json=ga_body(show.id, (3, 2)))

    assert first.status_code == again.status_code == 201, again.text
    assert first.json() == again.json()
    assert snapshot(database) == before


def test_idempotency_key_with_another_body_is_rejected(api, factory, database):
    show = factory.ga_show({3: (10, 1000)})
    user = factory.user()
    headers = {**user.auth, "Idempotency-Key": "checkout-456"}
    assert api.post("/api/bookings", headers=headers, json=ga_body(show.id, (3, 2))).status_code == 201
    before = snapshot(database)

    response = api.post("/api/bookings", headers=headers, json=ga_body(show.id, (3, 3)))

    assert response.status_code == 422
    assert response.json()["error"] == "IDEMPOTENCY_KEY_REUSED"
    assert snapshot(database) == before


def test_idempotency_keys_belong_to_their_user(api, factory, database):
    show = factory.ga_show({3: (10, 1000)})
    alice, bob = factory.user(), factory.user()
    a = api.post("/api/bookings", headers={**alice.auth, "Idempotency-Key": "same"}, json=ga_body(show.id, (3, 1)))
    b = api.post("/api/bookings", headers={**bob.auth, "Idempotency-Key": "same"}, json=ga_body(show.id, (3, 1)))
    assert a.status_code == b.status_code == 201
    assert a.json()["orderId"] != b.json()["orderId"]


def test_simultaneous_retries_on_two_processes_book_once(server, second_server, factory, database):
    """Same key, same moment, two server processes: one order, every response names it."""
    import httpx

    show = factory.ga_show({3: (100, 1000)})
    user = factory.user()
    headers = {**user.auth, "Idempotency-Key": "double-click"}
    urls = [server.url, second_server.url] * 5

    def post(url: str) -> httpx.Response:
        return httpx.post(f"{url}/api/bookings", headers=headers, json=ga_body(show.id, (3, 2)), timeout=30)

    with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
        responses = list(pool.map(post, urls))

    assert [r.status_code for r in responses] == [201] * len(urls)
    assert len({r.json()["orderId"] for r in responses}) == 1
    assert tier_counts(database, show.id) == {3: (100, 98, 2)}
