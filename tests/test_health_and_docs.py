"""GET /health against a live, a busy and a missing database, and the OpenAPI description."""

import sqlite3
import threading
import time
from contextlib import contextmanager

import httpx
import sqlalchemy as sa

from ticketbooth.db import tables as t
from tests.support.servers import ServerProcess


def test_health_is_ok_when_the_database_answers(api):
    response = api.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@contextmanager
def _inventory_locked(database, show_id: int):
    """Another client holds what a booking of the show needs: the tier row (or SQLite's write lock)."""
    if database.backend == "sqlite":
        raw = sqlite3.connect(database.engine.url.database, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            raw.rollback()
            raw.close()
        return
    tiers = t.event_date_has_ticket_type
    with database.engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(sa.update(tiers).where(tiers.c.event_date_id == show_id)
                     .values(remaining_tickets=tiers.c.remaining_tickets))
        try:
            yield
        finally:
            transaction.rollback()


def test_health_stays_ok_while_every_pooled_connection_is_busy(database, factory):
    """A load balancer must not take out an instance that is busy but working: with its one pooled
    connection held by a booking that waits for a lock, /health still answers 200, from the request that
    succeeded a moment ago, instead of queueing a ping behind the booking until it times out (503)."""
    show, user = factory.ga_show({3: (100, 1000)}), factory.user()
    server = ServerProcess(database.async_url, env={"TICKETBOOTH_DB_POOL_SIZE": "1",
                                                    "TICKETBOOTH_DB_MAX_OVERFLOW": "0"}).wait_ready()
    body = {"eventDateId": show.id, "customerName": "Busy", "paymentSource": "card",
            "tiers": [{"ticketTypeId": 3, "quantity": 1}]}
    booked: list[int] = []
    try:
        with httpx.Client(base_url=server.url, timeout=30) as api:
            with _inventory_locked(database, show.id):
                assert api.get(f"/api/event-dates/{show.id}").status_code == 200
                booking = threading.Thread(
                    target=lambda: booked.append(api.post("/api/bookings", headers=user.auth, json=body).status_code))
                booking.start()
                time.sleep(0.3)  # the booking now holds the only connection, waiting for the lock
                began = time.monotonic()
                health = api.get("/health")
                assert (health.status_code, time.monotonic() - began < 1) == (200, True), health.text
                assert booking.is_alive()  # the pool really was busy all along
            booking.join(timeout=30)
    finally:
        server.stop()
    assert booked and booked[0] in (201, 503)  # booked once the lock went, or gave up on it (lock timeout)


def test_health_is_503_when_the_database_is_down():
    # Nothing listens on port 1: the process starts, but its database is unreachable.
    server = ServerProcess("postgresql+asyncpg://nobody@127.0.0.1:1/none").wait_ready()
    try:
        health = httpx.get(f"{server.url}/health", timeout=10)
        events = httpx.get(f"{server.url}/api/events", timeout=10)
    finally:
        server.stop()
    assert health.status_code == 503
    assert health.json()["error"] == "SERVICE_UNAVAILABLE"
    assert (events.status_code, events.json()["error"]) == (503, "SERVICE_UNAVAILABLE")
    assert events.headers["Retry-After"]


def test_openapi_documents_every_endpoint_and_its_errors(api):
    spec = api.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [("/api/events", "get"), ("/api/event-dates/{event_date_id}", "get"),
                         ("/api/event-dates/{event_date_id}/availability", "get"), ("/api/bookings", "post"),
                         ("/api/orders/{order_id}", "get"), ("/api/orders", "get"), ("/api/signup", "post"),
                         ("/api/login", "post"), ("/api/users", "post"), ("/health", "get")]:
        assert method in paths[path], path
    booking = paths["/api/bookings"]["post"]["responses"]
    assert {"201", "401", "403", "404", "409", "422", "503"} <= set(booking)
    assert "INSUFFICIENT_INVENTORY" in booking["409"]["description"]
    assert "SEAT_ALREADY_TAKEN" in booking["409"]["description"]
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert api.get("/docs").status_code == 200
