"""A real PostgreSQL restart under booking load (a private server, never the shared one).

The app keeps running through `pg_ctl restart -m fast`, `-m immediate` and a longer stop/start. Clients book
GA and seated tickets with an Idempotency-Key and retry 503s with the same key. Then: every answer during the
outage was a 503 with the error envelope (no 500, no hang, no dropped connection), the same server process
serves again by itself, no order is half-written, inventory sums hold, and every 201 is in the database.
"""

import time

import httpx

from tests.support import databases
from tests.support.factories import Factory
from tests.support.invariants import (
    assert_every_success_stored,
    assert_inventory_sums,
    assert_no_half_written_orders,
    assert_seats_sold_once,
)
from tests.support.load import ENVELOPE_503, BookingLoad
from tests.support.servers import ServerProcess
from ticketbooth.db.migrate import upgrade


def _wait_for_201s(load: BookingLoad, more: int, timeout: float) -> float:
    """Seconds until `more` further bookings succeeded."""
    started = time.monotonic()
    target = load.count_final(201) + more
    while load.count_final(201) < target:
        assert time.monotonic() - started < timeout, f"no recovery: fewer than {more} bookings in {timeout}s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_postgresql_restarts_under_booking_load(own_postgres):
    own_postgres.start()
    own_postgres.create_database()
    db = databases.TestDatabase("postgresql", own_postgres.url(), own_postgres.url("postgresql+psycopg"))
    server = None
    try:
        upgrade(db.async_url)
        factory = Factory(db)
        users = [factory.user() for _ in range(6)]
        ga = factory.ga_show({1: (400, 10000), 3: (3000, 2500)})
        seated = factory.seated_show(rows=10, per_row=20)
        db.engine.dispose()  # its pooled connections die with the restarts; the checks reconnect

        server = ServerProcess(db.async_url, env={"TICKETBOOTH_RATE_LIMIT_ENABLED": "false"}).wait_ready()
        load = BookingLoad([server.url], users, ga_show=ga, ga_tiers=[1, 3], seated_show=seated,
                           concurrency=8, retry_503=True, give_up_s=60, timeout_s=20).start()
        phases: list[tuple[str, float, float]] = []  # (what, when it began, when PostgreSQL answered again)
        try:
            _wait_for_201s(load, 20, timeout=60)
            for what in ("restart -m fast", "restart -m immediate", "stop -m immediate, 2 s down, start"):
                began = time.monotonic()
                if what.startswith("restart"):
                    own_postgres.restart(what.split()[-1])  # immediate: a crash, connections cut mid-COMMIT
                else:
                    own_postgres.stop("immediate")
                    time.sleep(2)
                    own_postgres.start()
                phases.append((what, began, time.monotonic()))
                _wait_for_201s(load, 10, timeout=60)
            health = httpx.get(f"{server.url}/health", timeout=5)
        finally:
            result = load.stop(timeout=90)

        ends = [p[1] for p in phases[1:]] + [float("inf")]
        for (what, began, back), until in zip(phases, ends):
            in_phase = [a for a in result.attempts if began - 1 <= a.started < until]
            unavailable = [a for a in in_phase if a.status == 503]
            first_ok = min((a.ended for a in in_phase if a.status == 201 and a.started >= back), default=None)
            print(f"\n{what}: PostgreSQL back after {back - began:.2f}s; {len(unavailable)} answers 503"
                  + (f" over {max(a.ended for a in unavailable) - min(a.started for a in unavailable):.2f}s"
                     if unavailable else "")
                  + (f"; first 201 {first_ok - back:.2f}s after PostgreSQL was back" if first_ok else ""))
        statuses = result.status_counts()
        print(f"attempts by status: {dict(statuses)}; final answers: {dict(result.final_counts())}")
        assert not result.transport_errors(), result.transport_errors()[:5]  # no hang, no dropped connection
        assert set(statuses) <= {201, 409, 503}, statuses  # never a 500
        assert statuses[503] > 0, "the outage was not observed: the test proves nothing"
        for attempt in result.attempts:
            if attempt.status == 503:
                assert attempt.body["error"] == ENVELOPE_503 and attempt.body["message"], attempt.body
            if attempt.status == 409:
                assert attempt.body["error"] in ("INSUFFICIENT_INVENTORY", "SEAT_ALREADY_TAKEN"), attempt.body
        assert set(result.final_counts()) <= {201, 409}, "a client gave up: the service did not recover"
        assert health.status_code == 200
        assert server.process.poll() is None  # the same process recovered by itself

        orders = assert_no_half_written_orders(db.engine, [ga.id, seated.id])
        assert_inventory_sums(db.engine, ga.id)
        assert_seats_sold_once(db.engine, seated.id)
        assert_every_success_stored(orders, result)
    finally:
        if server is not None:
            server.stop()
        db.engine.dispose()
