"""Per-process copies of what bookings of a show read, by (database, show): its terms and seat map, which nothing in
the API edits, and the seat picker's views, which keep themselves current (booking/seat_picker.py)."""

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from ticketbooth.db.database import Database

log = logging.getLogger(__name__)


class ShowCopies:
    """Copies loaded by `load`, one per (database, show), the most recent `max_shows` kept. A copy is fresh for
    `ttl_s`; after that it is still served while one reload per show and process runs in the background, so no
    booking waits for a reload (before, every booking that arrived while the terms were expired ran its own reads
    through the connection pool, and every seated one waited for the seat map)."""

    def __init__(self, load: Callable[[Database, int], Awaitable[object | None]], *, ttl_s: float, max_shows: int):
        self._load = load
        self._ttl_s = ttl_s
        self._max_shows = max_shows
        self._copies: OrderedDict[tuple[str, int], tuple[float, object]] = OrderedDict()
        self._loading: dict[tuple[str, int], asyncio.Task] = {}

    async def get(self, db: Database, event_date_id: int):
        key = (db.cache_key, event_date_id)
        copy = self._copies.get(key)
        if copy is not None:
            self._copies.move_to_end(key)
            if copy[0] <= time.monotonic() and key not in self._loading:
                self._reload(db, key, event_date_id).add_done_callback(_log_failure)
            return copy[1]
        loading = self._loading.get(key) or self._reload(db, key, event_date_id)
        return await asyncio.shield(loading)  # one load per show and process, however many buyers arrive meanwhile

    def _reload(self, db: Database, key: tuple[str, int], event_date_id: int) -> asyncio.Task:
        loading = self._loading[key] = asyncio.create_task(self._fetch(db, key, event_date_id))
        loading.add_done_callback(lambda _: self._loading.pop(key, None))
        return loading

    async def _fetch(self, db: Database, key: tuple[str, int], event_date_id: int):
        value = await self._load(db, event_date_id)
        if value is not None:  # an unknown show is asked again next time
            self._copies[key] = (time.monotonic() + self._ttl_s, value)
            self._copies.move_to_end(key)
            while len(self._copies) > self._max_shows:
                self._copies.popitem(last=False)
        return value


def _log_failure(task: asyncio.Task) -> None:
    """A failed background reload leaves the previous copy in use; the next request after it tries again."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("reloading a copy of a show failed: %r", task.exception())
