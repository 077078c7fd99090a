"""Rate limits per client IP and per user: 429 RATE_LIMITED with Retry-After.

Limits are moving windows (the `limits` library): at most N requests in any span of the period,
exactly. With TICKETBOOTH_REDIS_URL the counters live in Redis and are shared by every server process and
instance; without it each process counts in its own memory (the embedded default). A Redis that does not
answer never takes the API down: the request is let through (fail open), the failure is logged, and
Redis is left alone for a few seconds before it is tried again.

The client IP is the peer address of the connection as uvicorn reports it: uvicorn replaces it with the
X-Forwarded-For address only when the peer is a trusted proxy (TICKETBOOTH_FORWARDED_ALLOW_IPS).

Use on a route:  dependencies=[limit_ip("bookings_ip"), limit_user("bookings_user")]
and document it: responses=responses(..., RateLimited).
"""

import hashlib
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from ticketbooth.accounts.token_cache import CurrentUser
from ticketbooth.config import Settings
from ticketbooth.dependencies import CurrentUserDep
from ticketbooth.errors import AppError, Unauthorized

log = logging.getLogger(__name__)

# rule name -> Settings field with its "N/period" limit
RULES = {
    "login": "rate_limit_login",
    "login_failures": "rate_limit_login_failures",
    "signup": "rate_limit_signup",
    "bookings_ip": "rate_limit_bookings_ip",
    "bookings_user": "rate_limit_bookings_user",
    "holds_ip": "rate_limit_holds_ip",
    "holds_user": "rate_limit_holds_user",
}
_REDIS_PAUSE_S = 5.0
_REDIS_TIMEOUT_S = 0.5


class RateLimited(AppError):
    status_code, code = 429, "RATE_LIMITED"

    def __init__(self, retry_after: int, message: str | None = None):
        super().__init__(
            message or f"Too many requests; retry in {retry_after} second{'s' if retry_after != 1 else ''}.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


def _storage_uri(redis_url: str) -> str:
    return redis_url if redis_url.startswith("async+") else f"async+{redis_url}"


class RateLimiter:
    def __init__(self, settings: Settings):
        self.enabled = settings.rate_limit_enabled
        self.items: dict[str, RateLimitItem] = {}
        for rule, field in RULES.items():
            try:
                self.items[rule] = parse(getattr(settings, field))
            except ValueError as exc:
                raise ValueError(f"TICKETBOOTH_{field.upper()}: {exc}") from None
        self.shared = settings.redis_url is not None
        if self.shared:
            storage = RedisStorage(
                _storage_uri(settings.redis_url), implementation="redispy", wrap_exceptions=True,
                key_prefix="ticketbooth-rl", socket_timeout=_REDIS_TIMEOUT_S,
                socket_connect_timeout=_REDIS_TIMEOUT_S,
            )
        else:
            storage = MemoryStorage()
        self._strategy = MovingWindowRateLimiter(storage)
        self._paused_until = 0.0

    def _storage_usable(self) -> bool:
        return time.monotonic() >= self._paused_until

    def _storage_failed(self, exc: Exception) -> None:
        self._paused_until = time.monotonic() + _REDIS_PAUSE_S
        log.warning("rate-limit storage failed, limits not enforced for %.0fs: %r", _REDIS_PAUSE_S, exc)

    async def _retry_after(self, item: RateLimitItem, key: str) -> int:
        try:
            stats = await self._strategy.get_window_stats(item, key)
            return max(1, math.ceil(stats.reset_time - time.time()))
        except StorageError:
            return item.get_expiry()

    async def hit(self, rule: str, key: str) -> None:
        """Count one request against `rule` for `key`; raise RateLimited when the limit is used up."""
        await self._enforce(rule, key, self._strategy.hit)

    async def check(self, rule: str, key: str) -> None:
        """Raise RateLimited when `rule` is used up for `key`, without counting this request."""
        await self._enforce(rule, key, self._strategy.test)

    async def _enforce(self, rule: str, key: str, consult) -> None:
        if not self.enabled or not self._storage_usable():
            return
        item = self.items[rule]
        try:
            allowed = await consult(item, key)
        except StorageError as exc:
            self._storage_failed(exc)
            return
        if not allowed:
            _count_limited(rule)
            raise RateLimited(await self._retry_after(item, key))

    async def record(self, rule: str, key: str) -> None:
        """Count an event (a failed login) without rejecting this request."""
        if not self.enabled or not self._storage_usable():
            return
        try:
            await self._strategy.hit(self.items[rule], key)
        except StorageError as exc:
            self._storage_failed(exc)


def _count_limited(rule: str) -> None:
    from ticketbooth.observability import RATE_LIMITED  # late: the metrics module is optional at import time

    RATE_LIMITED.labels(rule=rule).inc()


def client_ip(request: Request) -> str:
    """The peer address; uvicorn has already put the X-Forwarded-For client there when the peer is trusted."""
    return request.client.host if request.client else "unknown"


def _limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter


async def count_ip(request: Request, rule: str) -> None:
    """Count the request against `rule` for the client IP; RateLimited when it is used up."""
    await _limiter(request).hit(rule, f"ip:{client_ip(request)}")


async def count_user(request: Request, rule: str, user: CurrentUser) -> None:
    """Count the request against `rule` for the logged-in user; RateLimited when it is used up."""
    await _limiter(request).hit(rule, f"user:{user.id}")


def limit_ip(rule: str):
    """Route dependency: count_ip."""
    if rule not in RULES:
        raise ValueError(rule)

    async def _by_ip(request: Request) -> None:
        await count_ip(request, rule)

    return Depends(_by_ip)


def limit_user(rule: str):
    """Route dependency: count_user (401 first when anonymous)."""
    if rule not in RULES:
        raise ValueError(rule)

    async def _by_user(request: Request, user: CurrentUserDep) -> None:
        await count_user(request, rule, user)

    return Depends(_by_user)


def _account_key(login_name: str) -> str:
    # Hashed: Redis need not hold email addresses.
    return "account:" + hashlib.sha256(login_name.strip().lower().encode()).hexdigest()[:32]


@asynccontextmanager
async def login_attempt(request: Request, login_name: str) -> AsyncIterator[None]:
    """Per-account brute-force brake: after N failed logins for a name, further attempts get 429 until the
    window slides on, whatever the password. Keyed by the name as typed (lower-cased), so unknown names are
    throttled exactly like real ones and the 429 reveals nothing about which accounts exist."""
    limiter = _limiter(request)
    key = _account_key(login_name)
    await limiter.check("login_failures", key)
    try:
        yield
    except Unauthorized:
        await limiter.record("login_failures", key)
        raise


def install_rate_limits(app: FastAPI, settings: Settings) -> None:
    app.state.rate_limiter = RateLimiter(settings)
