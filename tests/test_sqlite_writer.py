"""SQLite writers: the lock file shared by server processes, and transactions run inline in the event loop
that must never stop the loop while a writer outside the server holds SQLite's lock."""

import asyncio
import fcntl
import os
import sqlite3
import time

import pytest
import sqlalchemy as sa

from ticketbooth.config import Settings
from ticketbooth.db.database import Database, _WriterFileLock


def test_a_writer_cancelled_while_it_waits_for_the_lock_file_lets_it_go_once_it_gets_it(tmp_path):
    path = tmp_path / "shop.db-writer.lock"
    other_process = os.open(path, os.O_RDWR | os.O_CREAT)  # its own open file: flock treats it as another holder
    fcntl.flock(other_process, fcntl.LOCK_EX)

    async def main():
        lock = _WriterFileLock(str(path))
        waiting = asyncio.create_task(lock.acquire())
        await asyncio.sleep(0.2)
        assert not waiting.done()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        fcntl.flock(other_process, fcntl.LOCK_UN)  # the waiting thread gets the lock now, and must let it go
        await asyncio.sleep(0.3)
        deadline = time.monotonic() + 5
        while True:
            try:
                fcntl.flock(other_process, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(other_process, fcntl.LOCK_UN)
                return
            except BlockingIOError:
                assert time.monotonic() < deadline, "the cancelled writer kept the lock file"
                await asyncio.sleep(0.02)

    try:
        asyncio.run(main())
    finally:
        os.close(other_process)


def test_an_outside_writer_holding_sqlites_lock_does_not_stop_the_event_loop(tmp_path):
    path = tmp_path / "shop.db"
    outside = sqlite3.connect(path, isolation_level=None)
    outside.execute("PRAGMA journal_mode=WAL")
    outside.execute("CREATE TABLE note (text TEXT)")
    outside.execute("BEGIN IMMEDIATE")  # a CLI command writing, say

    async def main():
        db = Database(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        async def write():
            async with db.transaction() as conn:
                await conn.execute(sa.text("INSERT INTO note (text) VALUES ('from the server')"))

        ticker = asyncio.create_task(tick())
        writing = asyncio.create_task(write())
        await asyncio.sleep(0.5)
        assert not writing.done()  # it waits for the outside writer...
        assert ticks >= 20  # ...without stopping the loop (inline, SQLite's busy wait would block it)
        outside.execute("COMMIT")
        await asyncio.wait_for(writing, 10)
        ticker.cancel()
        await db.dispose()

    try:
        asyncio.run(main())
        assert outside.execute("SELECT text FROM note").fetchall() == [("from the server",)]
    finally:
        outside.close()
