"""Live availability over Server-Sent Events, across server processes."""

import time

import httpx

from tests.support.sse import SseSubscriber


def _seat_states(event) -> dict[int, str]:
    return {s["seatId"]: s["status"] for s in event.data.get("seats", [])}


def test_a_sale_in_one_process_reaches_a_subscriber_of_another_within_a_second(server, second_server, factory):
    show = factory.seated_show(rows=1, per_row=4)
    user = factory.user()
    subscriber = SseSubscriber(f"{second_server.url}/api/event-dates/{show.id}/availability/stream")
    try:
        snapshot = subscriber.next()
        assert snapshot.event == "snapshot" and snapshot.data["seatingMode"] == "SEATED"
        assert snapshot.data["sections"][0]["rows"][0]["seats"][1]["status"] == "available"

        sent = time.monotonic()
        booked = httpx.post(f"{server.url}/api/bookings", headers=user.auth, timeout=10, json={
            "eventDateId": show.id, "customerName": "A", "paymentSource": "card",
            "seats": [{"seatId": show.seat_ids[1]}]})
        assert booked.status_code == 201
        change = subscriber.wait_for(lambda e: _seat_states(e).get(show.seat_ids[1]) == "sold")
    finally:
        subscriber.close()
    assert change.event == "change" and change.id
    assert change.received_at - sent < 1.0


def test_holds_and_releases_are_streamed_and_ga_tiers_carry_remaining(server, second_server, factory):
    show = factory.ga_show({1: (10, 10000), 3: (100, 1000)})
    user = factory.user()
    subscriber = SseSubscriber(f"{second_server.url}/api/event-dates/{show.id}/availability/stream")
    try:
        assert subscriber.next().data["tiers"][0]["remaining"] == 10
        hold = httpx.post(f"{server.url}/api/holds", headers=user.auth, timeout=10, json={
            "eventDateId": show.id, "customerName": "A", "paymentSource": "card",
            "tiers": [{"ticketTypeId": 1, "quantity": 4}]}).json()
        held = subscriber.wait_for(lambda e: e.event == "change" and e.data["tiers"][0]["remaining"] == 6)
        httpx.delete(f"{server.url}/api/holds/{hold['holdId']}", headers=user.auth, timeout=10)
        released = subscriber.wait_for(lambda e: e.event == "change" and e.data["tiers"][0]["remaining"] == 10)
    finally:
        subscriber.close()
    assert int(released.id) > int(held.id)


def test_a_reconnect_with_last_event_id_gets_what_changed_meanwhile(server, factory):
    show = factory.seated_show(rows=1, per_row=4)
    user = factory.user()
    url = f"{server.url}/api/event-dates/{show.id}/availability/stream"
    first = SseSubscriber(url)
    last_id = first.next().id
    first.close()

    for seat in show.seat_ids[:2]:
        assert httpx.post(f"{server.url}/api/bookings", headers=user.auth, timeout=10, json={
            "eventDateId": show.id, "customerName": "A", "paymentSource": "card",
            "seats": [{"seatId": seat}]}).status_code == 201

    resumed = SseSubscriber(url, headers={"Last-Event-ID": last_id})
    try:
        event = resumed.next()
    finally:
        resumed.close()
    assert event.event == "change"
    assert _seat_states(event) == {show.seat_ids[0]: "sold", show.seat_ids[1]: "sold"}


def test_stream_of_an_unknown_date_is_404(api):
    response = api.get("/api/event-dates/987654/availability/stream")
    assert (response.status_code, response.json()["error"]) == (404, "NOT_FOUND")
