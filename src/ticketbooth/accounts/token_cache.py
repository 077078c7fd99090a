"""Checked login tokens, trusted again per process while the database's revocations keep arriving.

An on-sale sends every buyer's token many times a second, and looking each one up was the largest single cost of
a booking. So a process remembers the tokens it has checked (for up to `auth_cache_ttl_s`, never past a token's
expiry) and learns of revocations by polling the database every `auth_revocation_poll_s`: every token revoked in
the last minute, by the indexed `revoked_at` column. Re-reading a whole minute each time covers a logout whose
COMMIT lands after the poll that its `revoked_at` would belong to, and clocks of different hosts that disagree
by less than that.

Nothing is trusted on memory alone: a remembered token counts only while the newest successful poll started at
most `_STALE_POLLS` intervals ago. When the database stops answering the polls, every token is looked up again.
So a logout anywhere reaches every process within about one poll interval plus its own COMMIT.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from ticketbooth.accounts import repository
from ticketbooth.accounts.security import token_digest
from ticketbooth.db.database import Database
from ticketbooth.errors import Unauthorized
from ticketbooth.kit import utcnow

log = logging.getLogger(__name__)

_REVOCATION_WINDOW = timedelta(minutes=1)
_STALE_POLLS = 3
_MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class CurrentUser:
    """Who a live token belongs to."""
    id: int
    username: str
    permissions: frozenset[str]
    token_digest: str

    def can(self, permission: str) -> bool:
        return permission in self.permissions


class TokenCache:
    def __init__(self, db: Database, *, ttl_s: float, poll_s: float):
        self._db = db
        self._ttl_s = ttl_s
        self._poll_s = poll_s
        self._trusted: dict[str, tuple[float, CurrentUser]] = {}  # digest -> (trusted until, user)
        self._feed_fresh_at = float("-inf")  # monotonic start of the newest poll that succeeded
        self._poller: asyncio.Task | None = None
        self._batch: dict[str, asyncio.Future] = {}  # digest -> the answer of the next lookup
        self._looking_up: asyncio.Task | None = None

    async def start(self) -> None:
        if self._ttl_s > 0:
            self._poller = asyncio.create_task(self._poll_revocations())

    async def close(self) -> None:
        if self._looking_up is not None:
            await asyncio.gather(self._looking_up, return_exceptions=True)
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller

    async def user_for(self, token: str) -> CurrentUser:
        digest = token_digest(token)
        now_mono = time.monotonic()
        remembered = self._trusted.get(digest)
        if (remembered is not None and remembered[0] > now_mono
                and now_mono - self._feed_fresh_at < _STALE_POLLS * self._poll_s):
            return remembered[1]
        now = utcnow()
        found = await self._look_up(digest)
        if found is None:
            self._trusted.pop(digest, None)
            raise Unauthorized("Your session has expired or the token is invalid; log in again.")
        account, permissions = found
        user = CurrentUser(id=account.id, username=account.username, permissions=permissions, token_digest=digest)
        if self._ttl_s > 0:
            if len(self._trusted) >= _MAX_ENTRIES:
                self._trusted.clear()
            ttl = min(self._ttl_s, (account.expires_at - now).total_seconds())
            self._trusted[digest] = (now_mono + ttl, user)
        return user

    async def _look_up(self, digest: str) -> tuple[sa.Row, frozenset[str]] | None:
        """The token's user and permissions from the database, in the next batch: tokens that miss while a lookup
        is in flight are looked up together, in one query, once it ends (each batch's query starts after its
        tokens arrived). An on-sale brings every buyer's first request to every process within seconds; with a
        query each they queued for the connection pool, and that wait was most of the p99 at 1,024 connections."""
        waiting = self._batch.get(digest)
        if waiting is None:
            waiting = self._batch[digest] = asyncio.get_running_loop().create_future()
            waiting.add_done_callback(_retrieve_exception)
            if self._looking_up is None:
                self._looking_up = asyncio.create_task(self._look_up_batches())
        return await asyncio.shield(waiting)

    async def _look_up_batches(self) -> None:
        try:
            while self._batch:
                batch, self._batch = self._batch, {}
                try:
                    async with self._db.lookup() as conn:
                        found = await repository.users_for_tokens(conn, digests=list(batch), now=utcnow())
                except Exception as exc:  # every request of the batch gets it, as it would have alone
                    for waiting in batch.values():
                        waiting.set_exception(exc)
                else:
                    for digest, waiting in batch.items():
                        waiting.set_result(found.get(digest))
        finally:
            self._looking_up = None

    def forget(self, digest: str) -> None:
        """A logout in this process takes effect here at once."""
        self._trusted.pop(digest, None)

    async def _poll_revocations(self) -> None:
        while True:
            started = time.monotonic()
            try:
                async with self._db.lookup() as conn:
                    revoked = await repository.revoked_since(conn, utcnow() - _REVOCATION_WINDOW)
            except Exception as exc:  # the database is away: remembered tokens stop counting (see user_for)
                log.warning("token revocations could not be read: %s", exc.__class__.__name__)
            else:
                for digest in revoked:
                    self._trusted.pop(digest, None)
                self._feed_fresh_at = started
            await asyncio.sleep(self._poll_s)


def _retrieve_exception(future: asyncio.Future) -> None:
    """A request that stopped waiting leaves its lookup's error unread; reading it here keeps asyncio quiet."""
    if not future.cancelled():
        future.exception()
