"""Live availability over Server-Sent Events, across server processes."""

import json
import threading
import time

import httpx
import sqlalchemy as sa

from ticketbooth.db.tables import availability_change
from ticketbooth.kit import utcnow
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


def test_a_sale_reaches_a_subscriber_within_a_second_after_a_rush_of_changes(server, factory, database):
    """A rush writes many change rows within the window in which the stream watches for late commits (1,200 here,
    more than one poll reads); the stream must keep following the log, not stall until that window has passed."""
    show = factory.seated_show(rows=1, per_row=4)
    user = factory.user()
    subscriber = SseSubscriber(f"{server.url}/api/event-dates/{show.id}/availability/stream")
    try:
        assert subscriber.next().event == "snapshot"
        with database.engine.begin() as conn:
            conn.execute(sa.insert(availability_change), [
                {"event_date_id": show.id, "kind": "sold", "seat_ids": json.dumps([show.seat_ids[0]]),
                 "created_at": utcnow()} for _ in range(1200)])
        time.sleep(0.5)  # the stream reads the rush's first rows

        sent = time.monotonic()
        booked = httpx.post(f"{server.url}/api/bookings", headers=user.auth, timeout=10, json={
            "eventDateId": show.id, "customerName": "A", "paymentSource": "card",
            "seats": [{"seatId": show.seat_ids[1]}]})
        assert booked.status_code == 201
        change = subscriber.wait_for(lambda e: _seat_states(e).get(show.seat_ids[1]) == "sold", timeout=5)
    finally:
        subscriber.close()
    assert change.received_at - sent < 1.0


def test_a_change_that_commits_after_a_later_one_still_reaches_the_subscriber(server, factory, database):
    """Ids are handed out at insert: a change whose transaction commits late has a lower id than changes already
    streamed. (On SQLite the booking waits for the open transaction, so the two commit in id order there.)"""
    show = factory.seated_show(rows=1, per_row=4)
    buyer = factory.user()
    subscriber = SseSubscriber(f"{server.url}/api/event-dates/{show.id}/availability/stream")
    answers = []
    try:
        assert subscriber.next().event == "snapshot"
        # The log row alone, as a late change: a late sale's order and ticket rows would also make the booking
        # below wait on MariaDB (its locks on the show's rows); the stream reports what the seat is when read.
        with database.engine.begin() as conn:
            conn.execute(sa.insert(availability_change).values(
                event_date_id=show.id, kind="released", seat_ids=json.dumps([show.seat_ids[0]]), created_at=utcnow()))
            booking = threading.Thread(target=lambda: answers.append(httpx.post(
                f"{server.url}/api/bookings", headers=buyer.auth, timeout=30, json={
                    "eventDateId": show.id, "customerName": "A", "paymentSource": "card",
                    "seats": [{"seatId": show.seat_ids[1]}]})))
            booking.start()
            if database.backend != "sqlite":
                subscriber.wait_for(lambda e: _seat_states(e).get(show.seat_ids[1]) == "sold", timeout=5)
            time.sleep(0.6)  # a few polls pass with the later change streamed and this one not committed
        booking.join(30)
        late = subscriber.wait_for(lambda e: show.seat_ids[0] in _seat_states(e), timeout=5)
    finally:
        subscriber.close()
    assert answers[0].status_code == 201
    assert late.event == "change"


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
