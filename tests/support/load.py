"""Steady booking load against one or more base URLs, run in a background thread while a test breaks things.

Every logical booking carries its own Idempotency-Key. With `retry_503`, a 503 is retried with the same key
and body (what a well-behaved client does), until a final answer (201 or 409) or `give_up_s`. Every attempt
is recorded: status, body, transport error, timing. A transport error or timeout is recorded, never retried,
so a hang or a dropped connection shows up as a failure in the test.
"""

import asyncio
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

ENVELOPE_503 = "SERVICE_UNAVAILABLE"


@dataclass
class Attempt:
    started: float
    ended: float
    status: int | None  # None: transport error or timeout
    body: object = None
    error: str | None = None


@dataclass
class Booking:
    key: str | None  # None: sent without an Idempotency-Key (and never retried)
    kind: str  # "ga" or "seated" or "read"
    body: dict | None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]

    @property
    def order_id(self) -> int | None:
        final = self.final
        return final.body["orderId"] if final.status == 201 else None


@dataclass
class LoadResult:
    bookings: list[Booking]

    @property
    def attempts(self) -> list[Attempt]:
        return [a for b in self.bookings for a in b.attempts]

    def status_counts(self) -> Counter:
        return Counter(a.status if a.status is not None else f"transport:{a.error}" for a in self.attempts)

    def final_counts(self) -> Counter:
        return Counter(b.final.status for b in self.bookings)

    def transport_errors(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status is None]

    def created(self) -> list[Booking]:
        return [b for b in self.bookings if b.kind != "read" and b.final.status == 201]


class BookingLoad:
    """`concurrency` workers, each booking back to back (with `pause_s` between bookings)."""

    def __init__(self, urls: list[str], users: list, *, ga_show=None, ga_tiers: list[int] = (), seated_show=None,
                 concurrency: int = 8, retry_503: bool = True, give_up_s: float = 60, timeout_s: float = 20,
                 pause_s: float = 0.0, read_share: float = 0.0, key_share: float = 1.0, keepalive: bool = True,
                 seed: int = 1):
        self.urls, self.users = urls, users
        self.ga_show, self.ga_tiers, self.seated_show = ga_show, list(ga_tiers), seated_show
        self.concurrency, self.retry_503, self.give_up_s = concurrency, retry_503, give_up_s
        self.timeout_s, self.pause_s, self.read_share = timeout_s, pause_s, read_share
        self.key_share, self.keepalive = key_share, keepalive
        self.rng = random.Random(seed)
        self.bookings: list[Booking] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _next_request(self, worker: int) -> Booking:
        rng = self.rng
        if self.read_share and rng.random() < self.read_share:
            show = self.ga_show or self.seated_show
            return Booking(uuid.uuid4().hex, "read", {"path": f"/api/event-dates/{show.id}/availability"})
        kinds = [k for k, show in (("ga", self.ga_show), ("seated", self.seated_show)) if show is not None]
        kind = kinds[worker % len(kinds)] if len(kinds) == 1 else rng.choice(kinds)
        if kind == "ga":
            tiers = rng.sample(self.ga_tiers, k=rng.randint(1, len(self.ga_tiers)))
            body = {"eventDateId": self.ga_show.id, "customerName": "Load", "paymentSource": "card",
                    "tiers": [{"ticketTypeId": t, "quantity": rng.randint(1, 2)} for t in sorted(tiers)]}
        else:
            seats = rng.sample(self.seated_show.seat_ids, k=rng.randint(1, 2))
            body = {"eventDateId": self.seated_show.id, "customerName": "Load", "paymentSource": "card",
                    "seats": [{"seatId": s} for s in seats]}
        key = uuid.uuid4().hex if rng.random() < self.key_share else None
        return Booking(key, kind, body)

    async def _one(self, client: httpx.AsyncClient, worker: int, booking: Booking, user) -> None:
        first = time.monotonic()
        n = 0
        while True:
            url = self.urls[(worker + n) % len(self.urls)]
            n += 1
            started = time.monotonic()
            try:
                if booking.kind == "read":
                    response = await client.get(f"{url}{booking.body['path']}")
                else:
                    headers = {**user.auth, **({"Idempotency-Key": booking.key} if booking.key else {})}
                    response = await client.post(f"{url}/api/bookings", json=booking.body, headers=headers)
                try:
                    payload = response.json()
                except ValueError:
                    payload = response.text
                attempt = Attempt(started, time.monotonic(), response.status_code, payload)
            except httpx.HTTPError as exc:
                attempt = Attempt(started, time.monotonic(), None, error=f"{type(exc).__name__}: {exc}")
            booking.attempts.append(attempt)
            if attempt.status == 503 and self.retry_503 and booking.key and time.monotonic() - first < self.give_up_s:
                await asyncio.sleep(0.1 + self.rng.random() * 0.2)
                continue
            return

    async def _worker(self, client: httpx.AsyncClient, worker: int) -> None:
        while not self._stop.is_set():
            booking = self._next_request(worker)
            self.bookings.append(booking)
            await self._one(client, worker, booking, self.users[worker % len(self.users)])
            if self.pause_s:
                await asyncio.sleep(self.pause_s)

    async def _main(self) -> None:
        limits = httpx.Limits(max_connections=self.concurrency * 2,
                              max_keepalive_connections=self.concurrency if self.keepalive else 0)
        async with httpx.AsyncClient(timeout=self.timeout_s, limits=limits) as client:
            await asyncio.gather(*(self._worker(client, w) for w in range(self.concurrency)))

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by stop()
            self._error = exc

    def start(self) -> "BookingLoad":
        self._thread = threading.Thread(target=self._run, name="booking-load", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 90) -> LoadResult:
        """Stop starting new bookings; let the ones under way reach their final answer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise AssertionError(f"booking load did not finish within {timeout}s after stop: a request hangs")
        if self._error is not None:
            raise self._error
        return LoadResult(self.bookings)

    def count_final(self, status: int) -> int:
        return sum(1 for b in list(self.bookings) if b.attempts and b.final.status == status)
