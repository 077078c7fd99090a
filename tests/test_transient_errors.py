"""Which failed transactions are re-run, and how often (db/database.py)."""

import asyncio

import pytest
from sqlalchemy.exc import OperationalError

from ticketbooth.db import database


class _DriverError(Exception):
    pass


def _failing(errno: int, message: str):
    """A transaction body that always fails as the server would answer it, counting its runs."""
    runs = []

    async def once():
        runs.append(1)
        raise OperationalError("COMMIT", {}, _DriverError(errno, message))

    return once, runs


@pytest.mark.parametrize(("errno", "message", "runs"), [
    (1213, "Deadlock found when trying to get lock; try restarting transaction", database._MAX_ATTEMPTS),
    (1205, "Lock wait timeout exceeded; try restarting transaction", database._MAX_ATTEMPTS_AFTER_LOCK_TIMEOUT),
    (1062, "Duplicate entry '7-12' for key 'uniq_ticket_eventdate_seat'", 1),
], ids=["deadlock", "lock-wait-timeout", "constraint"])
def test_deadlock_victims_are_rerun_often_lock_timeouts_once_more_and_other_errors_never(errno, message, runs):
    once, ran = _failing(errno, message)
    with pytest.raises(OperationalError):
        asyncio.run(database._rerun_after_transient_errors(once))
    assert len(ran) == runs
    assert database._MAX_ATTEMPTS_AFTER_LOCK_TIMEOUT < database._MAX_ATTEMPTS
