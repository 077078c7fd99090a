"""The failover test's buyers: steady GA and seated bookings through several service instances.

Each booking gets its own Idempotency-Key and is retried with the same key and body after a 503 or a
connection error until it gets a definite answer (201 or 409), as a well-behaved client must: a 503 may
hide a COMMIT whose outcome is unknown, and only the key makes the retry safe.
"""

import asyncio
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx


@dataclass
class Attempt:
    t_start: float
    t_end: float
    status: int | str  # HTTP status, or the name of the transport error
    problem: str | None = None  # a 503 without the error envelope or Retry-After, a 5xx other than 503
    unknown_outcome: bool = False  # a 503 saying the COMMIT's outcome is unknown


@dataclass
class Booking:
    key: str
    user_id: int
    kind: str  # "GA" or "SEATED"
    body: dict
    attempts: list[Attempt] = field(default_factory=list)
    final: int | str | None = None  # 201, 409, another 4xx, or "gave_up"
    order_id: int | None = None
    tickets: int = 0


class LoadClient:
    def __init__(self, urls: list[str], users: list, ga_show_id: int, ga_tiers: list[int], seated_show_id: int,
                 seat_ids: list[int], *, pause_s: float = 0.02, retry_pause_s: float = 0.2,
                 attempt_timeout_s: float = 60, give_up_after_s: float = 180):
        self.urls, self.users = urls, users
        self.ga_show_id, self.ga_tiers, self.seated_show_id = ga_show_id, ga_tiers, seated_show_id
        self.free_seats = set(seat_ids)  # seats not known to be sold; touched only by the event loop thread
        self.pause_s, self.retry_pause_s = pause_s, retry_pause_s
        self.attempt_timeout_s, self.give_up_after_s = attempt_timeout_s, give_up_after_s
        self.bookings: list[Booking] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    # ------------------------------------------------------------------ control (test thread)

    def start(self) -> "LoadClient":
        self._thread = threading.Thread(target=self._run, name="ha-load", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 240) -> None:
        """Stop starting new bookings; every booking in flight is still retried to a definite answer."""
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("load client did not finish its bookings in time")
        if self.error:
            raise self.error

    # ------------------------------------------------------------------ views (any thread; lists only grow)

    def attempts(self) -> list[Attempt]:
        return [a for b in list(self.bookings) for a in list(b.attempts)]

    def successes(self) -> list[Attempt]:
        return sorted((a for a in self.attempts() if a.status == 201), key=lambda a: a.t_end)

    def succeeded_since(self, t: float) -> bool:
        """A booking that *started* after t was confirmed: writes flow again."""
        return any(a.status == 201 and a.t_start > t for a in self.attempts())

    # ------------------------------------------------------------------ the buyers

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    async def _main(self) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(timeout=self.attempt_timeout_s, limits=limits) as client:
            await asyncio.gather(*(self._buyer(client, i, user) for i, user in enumerate(self.users)))

    async def _buyer(self, client: httpx.AsyncClient, n: int, user) -> None:
        rnd = random.Random(n)
        turn = n
        while not self._stop.is_set():
            booking = self._next_booking(rnd, user, seated=(turn % 2 == 1))
            if booking is None:
                booking = self._next_booking(rnd, user, seated=False)
            self.bookings.append(booking)
            await self._resolve(client, booking, first_url=turn)
            turn += 1
            await asyncio.sleep(self.pause_s)

    def _next_booking(self, rnd: random.Random, user, *, seated: bool) -> Booking | None:
        common = {"customerName": f"HA buyer {user.id}", "paymentSource": "test-card-4242"}
        if seated:
            if len(self.free_seats) < 2:
                return None
            seats = rnd.sample(sorted(self.free_seats), rnd.randint(1, 2))
            body = {**common, "eventDateId": self.seated_show_id, "seats": [{"seatId": s} for s in seats]}
            kind = "SEATED"
        else:
            tiers = rnd.sample(self.ga_tiers, rnd.randint(1, 2))
            body = {**common, "eventDateId": self.ga_show_id,
                    "tiers": [{"ticketTypeId": t, "quantity": rnd.randint(1, 3)} for t in sorted(tiers)]}
            kind = "GA"
        return Booking(key=f"ha-{uuid.uuid4()}", user_id=user.id, kind=kind, body=body)

    async def _resolve(self, client: httpx.AsyncClient, booking: Booking, first_url: int) -> None:
        user = next(u for u in self.users if u.id == booking.user_id)
        headers = {**user.auth, "Idempotency-Key": booking.key}
        give_up = time.time() + self.give_up_after_s
        i = first_url
        while True:
            url = self.urls[i % len(self.urls)]  # a retry may land on the other instance: state is in the DB
            i += 1
            t0 = time.time()
            try:
                r = await client.post(f"{url}/api/bookings", headers=headers, json=booking.body)
            except httpx.TransportError as exc:  # includes timeouts: the outcome is unknown, retry
                booking.attempts.append(Attempt(t0, time.time(), type(exc).__name__))
            else:
                attempt = Attempt(t0, time.time(), r.status_code)
                booking.attempts.append(attempt)
                if r.status_code == 503:
                    body = _json(r)
                    if body.get("error") != "SERVICE_UNAVAILABLE" or "retry-after" not in r.headers:
                        attempt.problem = f"503 without envelope/Retry-After: {r.headers} {r.text[:200]}"
                    attempt.unknown_outcome = "unknown" in str(body.get("message"))
                elif r.status_code >= 500:
                    attempt.problem = f"{r.status_code}: {r.text[:300]}"
                else:
                    booking.final = r.status_code
                    if r.status_code == 201:
                        body = r.json()
                        booking.order_id, booking.tickets = body["orderId"], len(body["tickets"])
                    if booking.kind == "SEATED" and r.status_code in (201, 409):
                        # sold (or some of them taken): never offer these seats again
                        self.free_seats.difference_update(s["seatId"] for s in booking.body["seats"])
                    return
            if time.time() > give_up:
                booking.final = "gave_up"
                return
            await asyncio.sleep(self.retry_pause_s)


def _json(r: httpx.Response) -> dict:
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
