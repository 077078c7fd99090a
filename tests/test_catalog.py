"""GET /api/events, /api/event-dates/:id and its availability: exact shapes of the spec."""

import re
import time

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# GET /api/events is rendered at most once per TICKETBOOTH_CATALOG_LIST_TTL_S (1 s) per process.
EVENTS_TTL_S = 1.0


def events_until(api, ready, timeout: float = EVENTS_TTL_S + 1.5) -> list[dict]:
    """The events list once `ready(events)` holds, or the last one after `timeout` (within the list's TTL)."""
    deadline = time.monotonic() + timeout
    while True:
        events = api.get("/api/events").json()
        if ready(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def dates_of(events) -> dict[int, dict]:
    return {d["id"]: d for e in events for d in e["dates"]}


def test_events_lists_each_event_with_its_dates(api, factory):
    ga = factory.ga_show({1: (50, 10000), 3: (500, 1000)})
    seated = factory.seated_show()

    events_until(api, lambda events: {ga.id, seated.id} <= dates_of(events).keys())
    events = api.get("/api/events")

    assert events.status_code == 200
    by_date = {d["id"]: (e, d) for e in events.json() for d in e["dates"]}
    event, date = by_date[ga.id]
    assert set(event) == {"id", "slug", "title", "description", "dates"}
    assert event["id"] == ga.event_id
    assert set(date) == {"id", "date", "venueName", "seatingMode", "priceFrom", "soldOut"}
    assert ISO_UTC.match(date["date"])
    assert (date["seatingMode"], date["priceFrom"], date["soldOut"]) == ("GA", 10, False)
    assert by_date[seated.id][1]["seatingMode"] == "SEATED"
    assert by_date[seated.id][1]["priceFrom"] == 25


def test_events_marks_a_sold_out_date(api, factory, database):
    import sqlalchemy as sa
    from ticketbooth.db.tables import event_date_has_ticket_type as inv

    show = factory.ga_show({3: (5, 1000)})
    with database.engine.begin() as conn:  # an empty tier is what a sold-out date looks like
        conn.execute(sa.update(inv).where(inv.c.event_date_id == show.id).values(max_quantity=0, remaining_tickets=0))

    dates = dates_of(events_until(api, lambda events: dates_of(events).get(show.id, {}).get("soldOut")))
    assert dates[show.id]["soldOut"] is True


def test_event_date_has_the_spec_shape(api, factory):
    show = factory.ga_show({1: (50, 10000)})

    response = api.get(f"/api/event-dates/{show.id}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "event", "date", "venue", "seatingMode", "maxTicketsPerOrder"}
    assert body["id"] == show.id
    assert set(body["event"]) == {"id", "title", "description"}
    assert body["venue"] == {"id": show.venue_id, "name": body["venue"]["name"], "capacity": 50}
    assert body["seatingMode"] == "GA"
    assert body["maxTicketsPerOrder"] == 10
    assert ISO_UTC.match(body["date"])


def test_ga_availability_lists_tiers_with_price_and_remaining(api, factory):
    show = factory.ga_show({1: (50, 10000), 2: (200, 5050), 3: (500, 1000)})

    response = api.get(f"/api/event-dates/{show.id}/availability")

    assert response.status_code == 200
    assert response.json() == {
        "seatingMode": "GA",
        "tiers": [
            {"id": 1, "name": "VIP", "price": 100, "remaining": 50},
            {"id": 2, "name": "FRONT_ROW", "price": 50.5, "remaining": 200},
            {"id": 3, "name": "GA", "price": 10, "remaining": 500},
        ],
    }


def test_seated_availability_groups_seats_by_section_and_row(api, factory):
    show = factory.seated_show(rows=2, per_row=3)

    body = api.get(f"/api/event-dates/{show.id}/availability").json()

    assert body["seatingMode"] == "SEATED"
    [section] = body["sections"]
    assert section["section"] == "A"
    assert [r["row"] for r in section["rows"]] == ["1", "2"]
    first = section["rows"][0]["seats"][0]
    assert first == {
        "seatId": show.seat_ids[0], "label": "A-1-1", "number": 1, "ticketType": "VIP", "ticketTypeId": 1,
        "price": 100, "available": True, "status": "available", "accessible": True,
    }
    assert section["rows"][1]["seats"][2]["ticketType"] == "GA"


def test_seated_availability_marks_sold_seats(api, factory):
    show = factory.seated_show(rows=1, per_row=3)
    user = factory.user()
    booked = api.post("/api/bookings", headers=user.auth, json={
        "eventDateId": show.id, "customerName": "A", "paymentSource": "card", "seats": [{"seatId": show.seat_ids[1]}]})
    assert booked.status_code == 201

    seats = api.get(f"/api/event-dates/{show.id}/availability").json()["sections"][0]["rows"][0]["seats"]
    assert [s["available"] for s in seats] == [True, False, True]


def test_unknown_event_date_is_404_with_envelope(api):
    for path in ("/api/event-dates/999999", "/api/event-dates/999999/availability"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "NOT_FOUND"


def test_malformed_event_date_id_is_422_with_envelope(api):
    for path in ("/api/event-dates/abc", "/api/event-dates/0/availability", "/api/event-dates/99999999999"):
        response = api.get(path)
        assert response.status_code == 422
        assert response.json()["error"] == "VALIDATION_ERROR"
        assert "detail" not in response.json()


def test_unknown_api_path_is_404_with_envelope(api):
    response = api.get("/api/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "NOT_FOUND", "message": "Not found"}
