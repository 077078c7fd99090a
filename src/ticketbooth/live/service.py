"""Live availability: every server process polls the change log of the shows its subscribers watch and
pushes the current state of what changed, so a sale made by any process reaches every subscriber.

Events carry absolute states (a seat's status now, a tier's remaining now), read after the change was seen,
so events that commit out of id order can never leave a subscriber with a stale seat.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from ticketbooth.catalog import service as catalog_service
from ticketbooth.db.database import Database
from ticketbooth.kit import utcnow
from ticketbooth.live import repository
from ticketbooth.live.schemas import to_wire

log = logging.getLogger(__name__)

# A change row can commit after rows with higher ids; ids seen within this window are re-read.
LATE_COMMIT_WINDOW_S = 10.0
_BACKLOG_LIMIT = 1000
_QUEUE_SIZE = 64
_FORGET_EVERY_S = 300


@dataclass
class Update:
    """One SSE message, serialized once however many subscribers receive it."""

    id: int
    event: str
    data: str


def _update(id_: int, kind: str, data: dict) -> Update:
    return Update(id_, kind, json.dumps(to_wire(kind, data), separators=(",", ":")))


# The availability JSON of a show as served by GET .../availability (the per-version cached render).
SnapshotBody = Callable[[], Awaitable[bytes]]


@dataclass
class _Show:
    subscribers: set[asyncio.Queue] = field(default_factory=set)
    task: asyncio.Task | None = None


class AvailabilityBroker:
    def __init__(self, db: Database, *, poll_interval_s: float, idle_poll_interval_s: float):
        self.db = db
        self.poll_interval_s = poll_interval_s
        self.idle_poll_interval_s = max(idle_poll_interval_s, poll_interval_s)
        self._shows: dict[int, _Show] = {}
        self._last_forget = time.monotonic()

    async def stream(self, event_date_id: int, last_event_id: int | None,
                     snapshot_body: SnapshotBody) -> AsyncIterator[Update]:
        """A snapshot (or, when resuming, what changed since `last_event_id`), then every change as it happens."""
        queue: asyncio.Queue = asyncio.Queue(_QUEUE_SIZE)
        show = self._shows.setdefault(event_date_id, _Show())
        show.subscribers.add(queue)
        if show.task is None or show.task.done():
            async with self.db.read() as conn:
                start = await repository.latest_change_id(conn)
            show.task = asyncio.create_task(self._poll(event_date_id, show, start))
        try:
            first = await self._resume(event_date_id, last_event_id) if last_event_id is not None else None
            yield first or await self._snapshot(snapshot_body)
            while True:
                update = await queue.get()
                if update is None:  # this subscriber fell behind: start it over from a snapshot
                    yield await self._snapshot(snapshot_body)
                    continue
                yield update
        finally:
            show.subscribers.discard(queue)

    async def _snapshot(self, snapshot_body: SnapshotBody) -> Update:
        """The cached availability body (no per-seat work for a 60,000-seat show) marked as a snapshot; its id
        is read first, so a resume from it re-reads anything that changed while the body was taken."""
        async with self.db.read() as conn:
            latest = await repository.latest_change_id(conn)
        body = await snapshot_body()
        return Update(latest, "snapshot", '{"type":"snapshot",' + body[1:].decode())

    async def _resume(self, event_date_id: int, last_event_id: int) -> Update | None:
        async with self.db.read() as conn:
            rows = await repository.changes_after(
                conn, event_date_id=event_date_id, after_id=last_event_id, limit=_BACKLOG_LIMIT
            )
        if len(rows) == _BACKLOG_LIMIT:
            return None  # too much missed: a snapshot is cheaper
        return await self._state_of(event_date_id, rows) if rows else Update(last_event_id, "resumed", '{"type":"resumed"}')

    async def _state_of(self, event_date_id: int, rows: list) -> Update:
        seat_ids = sorted({s for r in rows if r.seat_ids for s in json.loads(r.seat_ids)})
        changes = await catalog_service.current_state(self.db, event_date_id, seat_ids)
        return _update(max(r.id for r in rows), "change", changes)

    async def _poll(self, event_date_id: int, show: _Show, start_id: int) -> None:
        """Each turn reads the rows after the newest id seen, and the ids between `floor` and it, to catch rows
        that committed after higher ids (ids are handed out at insert, not at commit). Reading the whole window
        as rows instead, capped at _BACKLOG_LIMIT, stalled the stream for LATE_COMMIT_WINDOW_S whenever a rush
        wrote more rows than the cap within the window: every row under the cap had been seen, nothing new came.

        While changes come the turns are poll_interval_s apart (in a rush a seat map that lags less sends fewer
        buyers after seats already sold); each quiet turn doubles the wait, up to idle_poll_interval_s."""
        floor = start_id  # every id <= floor is settled: seen, or not committed within the window (rolled back)
        newest = start_id
        seen: dict[int, float] = {}
        wait = self.poll_interval_s
        while show.subscribers:
            await asyncio.sleep(wait)
            try:
                async with self.db.read() as conn:
                    rows = await repository.changes_after(
                        conn, event_date_id=event_date_id, after_id=newest, limit=_BACKLOG_LIMIT
                    )
                    if newest > floor:
                        window = await repository.change_ids_between(
                            conn, event_date_id=event_date_id, after_id=floor, up_to_id=newest
                        )
                        late = [i for i in window if i not in seen]
                        if late:
                            rows = [*await repository.changes_with_ids(conn, late), *rows]
                now = time.monotonic()
                for r in rows:
                    seen[r.id] = now
                if rows:
                    newest = max(newest, rows[-1].id)
                settled = [i for i, t in seen.items() if now - t > LATE_COMMIT_WINDOW_S]
                if settled:
                    floor = max(floor, max(settled))
                    seen = {i: t for i, t in seen.items() if i > floor}
                if rows:
                    self._publish(show, await self._state_of(event_date_id, rows))
                wait = self.poll_interval_s if rows else min(2 * wait, self.idle_poll_interval_s)
                await self._forget_old_changes(now)
            except Exception:  # a database hiccup must not end the stream; the next poll retries
                log.warning("availability poll for event date %s failed", event_date_id, exc_info=True)
        self._shows.pop(event_date_id, None)

    def _publish(self, show: _Show, update: Update) -> None:
        for queue in list(show.subscribers):
            try:
                queue.put_nowait(update)
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    while True:
                        queue.get_nowait()
                queue.put_nowait(None)

    async def _forget_old_changes(self, now: float) -> None:
        if now - self._last_forget < _FORGET_EVERY_S:
            return
        self._last_forget = now
        async with self.db.transaction() as conn:
            await repository.forget_old_changes(conn, now=utcnow())

    async def close(self) -> None:
        for show in self._shows.values():
            if show.task:
                show.task.cancel()

