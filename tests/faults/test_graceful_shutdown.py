"""SIGTERM to `ticketbooth serve` while requests are in flight: every one of them gets its full answer.

The requests are made slow for real: the test holds the inventory rows of a GA show locked in its own
transaction, so every booking for that show waits inside the database. Then SIGTERM; the server must stop
accepting connections, keep serving the requests it has, and exit only after they are answered.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import httpx
import sqlalchemy as sa

from ticketbooth.db import tables as t
from tests.support.invariants import assert_inventory_sums, assert_no_half_written_orders
from tests.support.servers import REPO, free_port

IN_FLIGHT = 12


class CliServer:
    """`python -m ticketbooth serve`, as deployed (its uvicorn settings, including the graceful timeout)."""

    def __init__(self, database_url: str, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = REPO / "var" / "test-logs" / f"serve-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ticketbooth", "serve", "--port", str(self.port), "--no-seed"],
            env={**os.environ, "TICKETBOOTH_DATABASE_URL": database_url, "TICKETBOOTH_WEB_DIST": "/nonexistent",
                 "TICKETBOOTH_RATE_LIMIT_ENABLED": "false", "TICKETBOOTH_DB_LOCK_TIMEOUT_MS": "60000",
                 "TICKETBOOTH_SQLITE_BUSY_TIMEOUT_MS": "60000", **env},
            cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> "CliServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready:\n{self.log_path.read_text()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._log.close()


def _lock_inventory(engine: sa.Engine, show_id: int, locked: threading.Event, release: threading.Event) -> None:
    """Hold the show's inventory rows (SQLite: the write lock) until `release`."""
    inv = t.event_date_has_ticket_type
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(sa.update(inv).where(inv.c.event_date_id == show_id)
                         .values(remaining_tickets=inv.c.remaining_tickets))
            locked.set()
            release.wait(60)
            conn.rollback()


def test_sigterm_lets_in_flight_bookings_finish(database, factory):
    show = factory.ga_show({1: (100, 10000), 3: (100, 2500)})
    users = [factory.user() for _ in range(4)]
    server = CliServer(database.async_url).wait_ready()
    locked, release = threading.Event(), threading.Event()
    locker = threading.Thread(target=_lock_inventory, args=(database.engine, show.id, locked, release))
    try:
        locker.start()
        assert locked.wait(10)

        async def scenario() -> tuple[list, object, float, float]:
            async with httpx.AsyncClient(timeout=60) as client:
                async def book(i: int):
                    body = {"eventDateId": show.id, "customerName": "Late", "paymentSource": "card",
                            "tiers": [{"ticketTypeId": 1 if i % 2 else 3, "quantity": 1 + i % 2}]}
                    headers = {**users[i % len(users)].auth, "Idempotency-Key": uuid.uuid4().hex}
                    try:
                        return await client.post(f"{server.url}/api/bookings", json=body, headers=headers)
                    except httpx.HTTPError as exc:
                        return exc

                in_flight = [asyncio.create_task(book(i)) for i in range(IN_FLIGHT)]
                await asyncio.sleep(3.0)  # every request is sent and waits on the lock inside the database
                assert not any(task.done() for task in in_flight), "requests were not in flight at SIGTERM"
                server.process.send_signal(signal.SIGTERM)
                await asyncio.sleep(1.0)
                # Shutting down: new connections are refused (a load balancer sends them elsewhere).
                async with httpx.AsyncClient(timeout=5) as fresh:  # a new connection, not a pooled one
                    try:
                        late = await fresh.get(f"{server.url}/health")
                    except httpx.ConnectError as exc:
                        late = exc
                assert server.process.poll() is None, "exited with requests in flight"
                released_at = time.monotonic()
                release.set()
                results = await asyncio.gather(*in_flight)
                return results, late, released_at, time.monotonic()

        results, late, released_at, answered_at = asyncio.run(scenario())
        exit_code = server.process.wait(timeout=40)
        exited_at = time.monotonic()
    finally:
        release.set()
        locker.join(30)
        server.close()

    failed = [r for r in results if not isinstance(r, httpx.Response) or r.status_code != 201]
    print(f"\n{IN_FLIGHT} in flight at SIGTERM: {IN_FLIGHT - len(failed)} answered 201, {len(failed)} failed; "
          f"exit {exit_code} {exited_at - released_at:.2f}s after the lock was released")
    assert not failed, [r if not isinstance(r, httpx.Response) else (r.status_code, r.text) for r in failed]
    assert isinstance(late, httpx.ConnectError), f"a new connection was accepted during shutdown: {late}"
    # uvicorn ends by re-raising the SIGTERM it handled, once the shutdown is complete
    assert exit_code in (0, -signal.SIGTERM), exit_code
    log = server.log_path.read_text()
    assert "Application shutdown complete" in log and "Traceback" not in log, log
    assert exited_at >= answered_at - 0.5
    orders = assert_no_half_written_orders(database.engine, [show.id])
    assert sorted(oid for oid in orders) == sorted(r.json()["orderId"] for r in results)
    assert_inventory_sums(database.engine, show.id)
