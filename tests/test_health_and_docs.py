"""GET /health against a live and a missing database, and the OpenAPI description."""

import httpx

from tests.support.servers import ServerProcess


def test_health_is_ok_when_the_database_answers(api):
    response = api.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


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
