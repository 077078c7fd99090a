"""booking/router.py BookingRoute: a well-formed POST /api/bookings skips FastAPI's dependency solving, and is
answered exactly as the declared route answers it; every other request goes through the declared route.

In-process (httpx's ASGI transport, the app's own lifespan) against the real test database, so that the calls
into FastAPI's dependency solving can be counted.
"""

import asyncio

import fastapi.routing
import httpx
import pytest

from ticketbooth.app import create_app
from ticketbooth.config import Settings
from tests.support.factories import tier_counts
from tests.test_booking import ga_body


@pytest.fixture
def solves(monkeypatch) -> list[str]:
    """The paths of the requests whose dependencies FastAPI solved."""
    seen: list[str] = []
    solve = fastapi.routing.solve_dependencies

    async def counting(*, request, **kwargs):
        seen.append(request.url.path)
        return await solve(request=request, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    return seen


def _in_process(database, requests) -> list[httpx.Response]:
    app = create_app(Settings(database_url=database.async_url, web_dist="/nonexistent"))

    async def run():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://tb") as client:
                return [await client.post("/api/bookings", **r) for r in requests]

    return asyncio.run(run())


def _without_ids(body: dict) -> dict:
    return {**body, "orderId": None, "tickets": [{**t, "id": None} for t in body["tickets"]]}


def test_a_well_formed_booking_is_answered_as_the_declared_route_answers_it(database, factory, solves):
    show = factory.ga_show({1: (50, 10000), 3: (500, 1000)})
    user = factory.user()
    body = ga_body(show.id, (1, 2), (3, 1))
    fast, declared = _in_process(database, [
        {"json": body, "headers": user.auth},
        # A JSON media type the fast path leaves to the declared route, which parses it as JSON all the same.
        {"json": body, "headers": {**user.auth, "Content-Type": "application/vnd.ticketbooth+json"}},
    ])

    assert (fast.status_code, declared.status_code) == (201, 201)
    assert solves == ["/api/bookings"]  # the second request only
    assert fast.headers["content-type"] == declared.headers["content-type"] == "application/json"
    assert _without_ids(fast.json()) == _without_ids(declared.json())
    assert fast.json()["totalAmount"] == 210 and len(fast.json()["tickets"]) == 3
    assert tier_counts(database, show.id) == {1: (50, 46, 4), 3: (500, 498, 2)}


def test_requests_the_declared_route_would_refuse_go_through_it(database, factory, solves):
    show = factory.ga_show({1: (50, 10000)})
    user = factory.user()
    body = ga_body(show.id, (1, 2))
    answers = _in_process(database, [
        {"content": b'{"eventDateId": ', "headers": {**user.auth, "Content-Type": "application/json"}},
        {"json": {**body, "tiers": []}, "headers": user.auth},
        {"json": {**body, "unknownField": 1}, "headers": user.auth},
        {"json": body, "headers": {**user.auth, "Idempotency-Key": "has space"}},
        {"json": body, "headers": {**user.auth, "X-Idempotency-Key": "k" * 129}},
        {"content": b"eventDateId=1", "headers": {**user.auth, "Content-Type": "application/x-www-form-urlencoded"}},
    ])

    assert [(a.status_code, a.json()["error"]) for a in answers] == [(400, "INVALID_JSON")] + [
        (422, "VALIDATION_ERROR")] * 5
    assert all(a.json()["fields"] for a in answers[1:])
    assert solves == ["/api/bookings"] * 5  # the declared route refuses malformed JSON before solving
    assert tier_counts(database, show.id) == {1: (50, 50, 0)}


def test_the_fast_path_checks_the_token_and_keeps_idempotency(database, factory, solves):
    show = factory.ga_show({1: (50, 10000)})
    user = factory.user()
    body = ga_body(show.id, (1, 2))
    anonymous, wrong_token, first, retry, reused = _in_process(database, [
        {"json": body},
        {"json": body, "headers": {"Authorization": "Bearer not-a-token"}},
        {"json": body, "headers": {**user.auth, "Idempotency-Key": "order-1"}},
        {"json": body, "headers": {**user.auth, "Idempotency-Key": "order-1"}},
        {"json": ga_body(show.id, (1, 3)), "headers": {**user.auth, "Idempotency-Key": "order-1"}},
    ])

    assert (anonymous.status_code, wrong_token.status_code) == (401, 401)
    assert anonymous.json()["error"] == wrong_token.json()["error"] == "UNAUTHORIZED"
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert (reused.status_code, reused.json()["error"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert solves == []
    assert tier_counts(database, show.id) == {1: (50, 48, 2)}
