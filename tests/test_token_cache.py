"""Checked tokens are trusted per process only while the revocation poll keeps reaching the database."""

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from ticketbooth.accounts.security import token_digest
from ticketbooth.accounts.token_cache import TokenCache
from ticketbooth.config import Settings
from ticketbooth.db import tables as t
from ticketbooth.db.database import Database
from ticketbooth.errors import Unauthorized
from ticketbooth.kit import utcnow

POLL_S = 0.2


def _revoke(database, token: str) -> None:
    with database.engine.begin() as conn:
        conn.execute(sa.update(t.auth_token).where(t.auth_token.c.token_hash == token_digest(token))
                     .values(revoked_at=utcnow()))


def _with_cache(database, work, poll_s=POLL_S):
    async def main():
        db = Database(Settings(database_url=database.async_url))
        tokens = TokenCache(db, ttl_s=60, poll_s=poll_s)
        await tokens.start()
        await asyncio.sleep(0.1)  # the first poll
        try:
            return await work(tokens)
        finally:
            await tokens.close()
            await db.dispose()

    return asyncio.run(main())


async def _until_refused(tokens: TokenCache, token: str, within_s: float) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < within_s:
        try:
            await tokens.user_for(token)
        except Unauthorized:
            return loop.time() - started
        await asyncio.sleep(0.02)
    raise AssertionError(f"the revoked token was still trusted after {within_s} s")


def test_a_checked_token_is_trusted_from_memory_between_polls(database, factory):
    user = factory.user()

    async def work(tokens):
        assert (await tokens.user_for(user.token)).id == user.id
        _revoke(database, user.token)
        return await tokens.user_for(user.token)

    assert _with_cache(database, work, poll_s=30).id == user.id


def test_a_revocation_written_elsewhere_reaches_the_cache_with_the_next_poll(database, factory):
    user = factory.user()

    async def work(tokens):
        assert (await tokens.user_for(user.token)).id == user.id
        _revoke(database, user.token)
        return await _until_refused(tokens, user.token, within_s=5 * POLL_S)

    assert _with_cache(database, work) < 5 * POLL_S


def test_without_a_working_revocation_poll_every_token_is_checked_in_the_database(database, factory):
    user = factory.user()

    async def work(tokens):
        assert (await tokens.user_for(user.token)).id == user.id
        await tokens.close()  # the poll stops, as when the database stops answering it
        _revoke(database, user.token)
        return await _until_refused(tokens, user.token, within_s=10 * POLL_S)

    # Refused once the last successful poll is three intervals old, though the poll never saw the revocation.
    assert _with_cache(database, work) <= 4 * POLL_S


def test_a_token_is_not_trusted_past_its_expiry(database, factory):
    user = factory.user(token_expires_in=timedelta(seconds=1))

    async def work(tokens):
        assert (await tokens.user_for(user.token)).id == user.id
        await asyncio.sleep(1.2)
        with pytest.raises(Unauthorized):
            await tokens.user_for(user.token)

    _with_cache(database, work)


def test_tokens_that_miss_together_are_looked_up_in_one_query_each_with_its_own_answer(database, factory):
    users = [factory.user() for _ in range(5)]
    revoked = factory.user()
    _revoke(database, revoked.token)

    async def main():
        db = Database(Settings(database_url=database.async_url))
        lookups: list[str] = []
        event.listen(db.engine.sync_engine, "before_cursor_execute",
                     lambda _conn, _cursor, statement, *_: lookups.append(statement) if "permission" in statement
                     else None)
        tokens = TokenCache(db, ttl_s=60, poll_s=POLL_S)
        try:
            answers = await asyncio.gather(*(tokens.user_for(u.token) for u in users), tokens.user_for(revoked.token),
                                           tokens.user_for("no-such-token"), return_exceptions=True)
            again = await tokens.user_for(users[0].token)  # a second batch, after the first
        finally:
            await tokens.close()
            await db.dispose()
        return answers, again, lookups

    answers, again, lookups = asyncio.run(main())

    assert [a.id for a in answers[:5]] == [u.id for u in users]
    assert all(isinstance(a, Unauthorized) for a in answers[5:])
    assert again.id == users[0].id
    if database.backend != "sqlite":  # SQLite's lookups run on its own inline engine
        assert len(lookups) == 2


def test_when_the_database_is_away_every_token_of_the_batch_gets_the_error_and_none_waits_forever():
    async def main():
        db = Database(Settings(database_url="postgresql+asyncpg://ticketbooth@127.0.0.1:1/nothing_listens_here",
                               db_pool_timeout_s=2))
        tokens = TokenCache(db, ttl_s=60, poll_s=POLL_S)
        try:
            return await asyncio.wait_for(asyncio.gather(*(tokens.user_for(f"token-{n}") for n in range(3)),
                                                         return_exceptions=True), timeout=30)
        finally:
            await tokens.close()
            await db.dispose()

    answers = asyncio.run(main())

    assert len(answers) == 3
    assert all(isinstance(a, Exception) and not isinstance(a, Unauthorized) for a in answers), answers
