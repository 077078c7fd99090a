"""Request ids, JSON access logs and Prometheus metrics through real servers (one process and --workers 2)."""

import json
import logging
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from ticketbooth.observability import JsonFormatter
from tests.support.factories import Factory
from tests.support.procs import running, serving, sqlite_db  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def server(sqlite_db) -> Iterator:  # noqa: F811
    with running(sqlite_db.async_url) as proc:
        yield proc


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def test_every_response_has_a_request_id(client):
    first, second = client.get("/api/events"), client.get("/api/nope")
    ids = [r.headers["X-Request-ID"] for r in (first, second)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]


def test_a_well_formed_incoming_request_id_is_kept(client):
    assert client.get("/api/events", headers={"X-Request-ID": "lb-7f3a.42:1"}).headers["X-Request-ID"] == "lb-7f3a.42:1"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "quote\"", "semi;colon", "new\tline"])
def test_a_malformed_incoming_request_id_is_replaced(client, bad):
    returned = client.get("/api/events", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
    assert returned != bad and re.fullmatch(r"[0-9a-f]{32}", returned)


def test_access_log_lines_are_json_with_route_status_and_request_id(server, client):
    response = client.get("/api/event-dates/999999", headers={"X-Request-ID": "trace-me-123"})
    assert response.status_code == 404
    # The line is written once the response has gone out, so it may land a moment after the client has the answer.
    deadline = time.monotonic() + 5
    while not (records := [json.loads(line) for line in server.log_path.read_text().splitlines()
                           if "trace-me-123" in line]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert records, "no log line with the request id"
    access = [r for r in records if r["logger"] == "ticketbooth.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "trace-me-123"
    assert (line["method"], line["path"], line["route"], line["status"]) == (
        "GET", "/api/event-dates/999999", "/api/event-dates/{event_date_id}", 404)
    assert line["duration_ms"] >= 0 and line["level"] == "INFO" and line["time"].endswith("Z")


def test_json_lines_carry_the_utc_time_to_the_millisecond_and_the_extras():
    formatter = JsonFormatter()

    def line(created: float, **extra) -> dict:
        record = logging.makeLogRecord({"name": "ticketbooth.access", "levelno": logging.INFO, "levelname": "INFO",
                                        "msg": "GET %s", "args": ("/x",), "created": created, **extra})
        return json.loads(formatter.format(record))

    first = line(1_796_688_000.25, status=201, request_id="r-1", _private="not logged")
    assert first == {"time": "2026-12-08T00:00:00.250Z", "level": "INFO", "logger": "ticketbooth.access",
                     "message": "GET /x", "request_id": "r-1", "status": 201}
    # the next second, and back again: the time is never the one of another second
    assert line(1_796_688_001.999)["time"] == "2026-12-08T00:00:01.999Z"
    assert line(1_796_688_000.0)["time"] == "2026-12-08T00:00:00.000Z"


def test_metrics_count_requests_by_route_bookings_and_conflicts(client, sqlite_db):  # noqa: F811
    make = Factory(sqlite_db)
    show = make.ga_show({1: (1, 10000)})
    alice, bob = make.user(), make.user()
    before = client.get("/metrics").text
    body = {"eventDateId": show.id, "customerName": "M", "paymentSource": "card",
            "tiers": [{"ticketTypeId": 1, "quantity": 1}]}

    assert client.post("/api/bookings", headers=alice.auth, json=body).status_code == 201
    assert client.post("/api/bookings", headers=bob.auth, json=body).status_code == 409
    for n in range(3):
        client.get(f"/api/orders/{10_000 + n}", headers=alice.auth)
        client.get(f"/no/such/page/{n}")

    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    after = response.text

    def delta(name, **labels):
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert delta("ticketbooth_bookings_total") == 1
    assert delta("ticketbooth_conflicts_total", operation="booking", reason="INSUFFICIENT_INVENTORY") == 1
    assert delta("ticketbooth_http_request_duration_seconds_count", method="POST", route="/api/bookings",
                 status="201") == 1
    assert delta("ticketbooth_http_request_duration_seconds_count", method="GET", route="/api/orders/{order_id}",
                 status="404") == 3
    assert delta("ticketbooth_http_request_duration_seconds_bucket", method="POST", route="/api/bookings",
                 status="409", le="+Inf") == 1
    # unknown URLs are one series, not one per path
    assert "/no/such/page" not in after
    assert delta("ticketbooth_http_request_duration_seconds_count", method="GET", route="unmatched") == 3


def test_metrics_add_up_over_worker_processes(sqlite_db):  # noqa: F811
    with serving(sqlite_db.async_url, args=("--workers", "2")) as proc:
        for _ in range(30):
            with httpx.Client(base_url=proc.url, timeout=30) as c:  # new connections: spread over workers
                assert c.get("/api/events").status_code == 200
        scrapes = []
        for _ in range(4):
            with httpx.Client(base_url=proc.url, timeout=30) as c:
                scrapes.append(c.get("/metrics").text)
        log = proc.log_path.read_text()
    # whichever worker answers the scrape, it reports the requests of both
    for text in scrapes:
        assert metric(text, "ticketbooth_http_request_duration_seconds_count", route="/api/events") == 30
    assert len(set(re.findall(r"Started server process \[(\d+)\]", log))) == 2
