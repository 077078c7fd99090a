"""Every bad input a user can send: a 4xx with the error envelope, and the database exactly as it was."""

import pytest

from tests.support.factories import snapshot

_ENVELOPE_KEYS = {"error", "message"}


@pytest.fixture
def setup(factory):
    ga = factory.ga_show({1: (5, 10000), 3: (50, 1000)})
    seated = factory.seated_show(rows=2, per_row=5)
    other_seated = factory.seated_show(rows=1, per_row=2)
    past = factory.ga_show({3: (50, 1000)}, days=-1)
    return {"ga": ga, "seated": seated, "other_seated": other_seated, "past": past, "user": factory.user()}


def _ga(s, tiers=((3, 1),), **extra):
    return {"eventDateId": s["ga"].id, "customerName": "Eve", "paymentSource": "card",
            "tiers": [{"ticketTypeId": t, "quantity": q} for t, q in tiers], **extra}


def _seated(s, seats, **extra):
    return {"eventDateId": s["seated"].id, "customerName": "Eve", "paymentSource": "card", "seats": seats, **extra}


CASES = {
    # name: (body builder, expected status, expected error code)
    "quantity zero": (lambda s: _ga(s, ((3, 0),)), 422, "VALIDATION_ERROR"),
    "quantity negative": (lambda s: _ga(s, ((3, -2),)), 422, "VALIDATION_ERROR"),
    "quantity above the per-order limit": (lambda s: _ga(s, ((3, 11),)), 422, "ORDER_LIMIT_EXCEEDED"),
    "tiers adding up above the limit": (lambda s: _ga(s, ((1, 5), (3, 6))), 422, "ORDER_LIMIT_EXCEEDED"),
    "huge quantity": (lambda s: _ga(s, ((3, 10**15),)), 422, "VALIDATION_ERROR"),
    "quantity as string": (lambda s: _ga(s, ((3, "two"),)), 422, "VALIDATION_ERROR"),
    "quantity as float": (lambda s: _ga(s, ((3, 1.5),)), 422, "VALIDATION_ERROR"),
    "empty tiers": (lambda s: _ga(s, ()), 422, "VALIDATION_ERROR"),
    "empty seats": (lambda s: _seated(s, []), 422, "VALIDATION_ERROR"),
    "neither tiers nor seats": (lambda s: {k: v for k, v in _ga(s).items() if k != "tiers"}, 422, "VALIDATION_ERROR"),
    "both tiers and seats": (lambda s: _ga(s, seats=[{"seatId": s["seated"].seat_ids[0]}]), 422, "VALIDATION_ERROR"),
    "duplicate seat ids": (lambda s: _seated(s, [{"seatId": s["seated"].seat_ids[0]}] * 2), 422, "VALIDATION_ERROR"),
    "duplicate tiers": (lambda s: _ga(s, ((3, 1), (3, 1))), 422, "VALIDATION_ERROR"),
    "missing customer name": (lambda s: {k: v for k, v in _ga(s).items() if k != "customerName"}, 422,
                              "VALIDATION_ERROR"),
    "blank customer name": (lambda s: _ga(s, customerName="   "), 422, "VALIDATION_ERROR"),
    "missing payment source": (lambda s: {k: v for k, v in _ga(s).items() if k != "paymentSource"}, 422,
                               "VALIDATION_ERROR"),
    "event date id as string": (lambda s: {**_ga(s), "eventDateId": "ten"}, 422, "VALIDATION_ERROR"),
    "unknown field": (lambda s: _ga(s, price=0), 422, "VALIDATION_ERROR"),
    "body is a list": (lambda s: [_ga(s)], 422, "VALIDATION_ERROR"),
    "unknown event date": (lambda s: {**_ga(s), "eventDateId": 987654}, 404, "NOT_FOUND"),
    "tier not sold for this date": (lambda s: _ga(s, ((2, 1),)), 422, "TICKET_TYPE_NOT_AVAILABLE"),
    "unknown ticket type": (lambda s: _ga(s, ((99, 1),)), 422, "TICKET_TYPE_NOT_AVAILABLE"),
    "unknown seat": (lambda s: _seated(s, [{"seatId": 987654}]), 422, "SEAT_NOT_AVAILABLE"),
    "seat of another date": (lambda s: _seated(s, [{"seatId": s["other_seated"].seat_ids[0]}]), 422,
                             "SEAT_NOT_AVAILABLE"),
    "seat with another tier": (lambda s: _seated(s, [{"seatId": s["seated"].seat_ids[0], "ticketTypeId": 3}]), 422,
                               "TICKET_TYPE_MISMATCH"),
    "GA request for a seated date": (lambda s: {**_ga(s), "eventDateId": s["seated"].id}, 422,
                                     "SEATING_MODE_MISMATCH"),
    "seated request for a GA date": (lambda s: {**_seated(s, [{"seatId": s["seated"].seat_ids[0]}]),
                                                "eventDateId": s["ga"].id}, 422, "SEATING_MODE_MISMATCH"),
    "event date in the past": (lambda s: {**_ga(s), "eventDateId": s["past"].id}, 422, "EVENT_DATE_PAST"),
    "too many seats": (lambda s: _seated(s, [{"seatId": i} for i in s["seated"].seat_ids[:10]] +
                                         [{"seatId": s["other_seated"].seat_ids[0]}]), 422, "ORDER_LIMIT_EXCEEDED"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_booking_is_rejected_without_side_effects(case, api, setup, database):
    build, status, code = CASES[case]
    before = snapshot(database)

    response = api.post("/api/bookings", headers=setup["user"].auth, json=build(setup))

    assert (response.status_code, response.json()["error"]) == (status, code), response.text
    assert _ENVELOPE_KEYS <= set(response.json()) and "detail" not in response.json()
    assert response.json()["message"]
    assert snapshot(database) == before


@pytest.mark.parametrize(
    "content, content_type, status, code",
    [
        (b'{"eventDateId": 1,', "application/json", 400, "INVALID_JSON"),
        (b"not json at all", "application/json", 400, "INVALID_JSON"),
        (b"", "application/json", 422, "VALIDATION_ERROR"),
        (b"eventDateId=1", "application/x-www-form-urlencoded", 422, "VALIDATION_ERROR"),
        (b'{"x": "' + b"a" * 70_000 + b'"}', "application/json", 413, "PAYLOAD_TOO_LARGE"),
    ],
    ids=["truncated json", "not json", "empty body", "form encoded", "oversized body"],
)
def test_malformed_bodies_are_rejected(content, content_type, status, code, api, setup, database):
    before = snapshot(database)

    response = api.post("/api/bookings", headers={**setup["user"].auth, "Content-Type": content_type},
                        content=content)

    assert (response.status_code, response.json()["error"]) == (status, code), response.text
    assert snapshot(database) == before


def test_oversized_chunked_body_is_rejected(api, setup, database):
    before = snapshot(database)

    def chunks():
        for _ in range(100):
            yield b"x" * 1024

    response = api.post("/api/bookings", headers={**setup["user"].auth, "Content-Type": "application/json"},
                        content=chunks())

    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"
    assert snapshot(database) == before


@pytest.mark.parametrize("key", ["x" * 129, "has space", "tab\there"])
def test_malformed_idempotency_key_is_rejected(key, api, setup, database):
    before = snapshot(database)
    response = api.post("/api/bookings", headers={**setup["user"].auth, "Idempotency-Key": key}, json=_ga(setup))
    assert (response.status_code, response.json()["error"]) == (422, "VALIDATION_ERROR")
    assert snapshot(database) == before


def test_wrong_method_is_405_with_envelope(api):
    response = api.delete("/api/events")
    assert response.status_code == 405
    assert response.json()["error"] == "METHOD_NOT_ALLOWED"
