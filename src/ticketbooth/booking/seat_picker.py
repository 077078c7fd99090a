"""Seats the box office picks for a buyer (`pickSeats`): N free seats side by side in one row.

Which seats are free comes from a per-process view of the show, one byte per seat, and is only a hint: the picked
seats are booked like seats a buyer chose (the unique constraint on ticket decides), and seats refused there stay
marked taken in the view while the caller picks again. The view follows the show's availability change log (the
one the live stream follows) several times a second while buyers pick, and is re-read whole every half minute,
which brings back seats a refusal or a lost answer hid. A view with none of the wanted seats is re-read before the
buyer is told so, at most once a second per show and process.

Within a process a pick's seats are marked taken the moment they are picked. Across processes, which see each
other's sales only once they reach the log, each process fills its own stretch of seats (_ShowView.find), so two
processes rarely pick the same seats."""

import asyncio
import bisect
import json
import logging
import math
import random
import time
from array import array
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ticketbooth.booking import repository
from ticketbooth.booking.seat_map import SeatMap
from ticketbooth.booking.show_copies import ShowCopies
from ticketbooth.db.database import Database
from ticketbooth.errors import InsufficientInventory, UnknownSection, UnknownTicketType
from ticketbooth.kit import utcnow
from ticketbooth.live.repository import HELD, RELEASED, SOLD, changes_after, newest_change_id

log = logging.getLogger(__name__)
_SYNC_INTERVAL_S = 0.1  # the change log is read at most this often per show and process, and only while picking
# The whole view is re-read this often while picking: it brings back seats a refusal or a lost answer hid (the change
# log keeps it current otherwise). A 60,000-seat show's re-read stalls a worker for ~0.1 s.
_RELOAD_INTERVAL_S = 30.0
_SOLD_OUT_RELOAD_S = 1.0  # a view without the wanted seats is re-read before refusing, at most this often
_CHANGES_PER_READ = 1000
_TAKEN = 0


@dataclass
class _Layout:
    """A show's seats in (section, row, number) order, with a gap (position holding seat id 0) wherever two
    neighbours are not side by side, so no run of free positions crosses rows or skips a seat number."""

    seat_ids: array  # position -> seat id; 0 at gaps
    # Seat ids in ascending order (the seat map's own column) and the position of each: a lookup by bisection in
    # 0.5 MB rather than a dict of 60,000 entries in 5 MB, per show and process.
    ids_in_order: array
    positions_in_order: array
    tiers: bytes  # position -> tier code (index in tier_ids, + 1); 0 at gaps
    tier_ids: list[int]
    tier_names: dict[int, str]
    sections: dict[str, tuple[int, int]]  # section -> [first, end) positions
    tier_spans: dict[int, tuple[int, int]]  # tier code -> [first, end) positions
    row_starts: list[int]

    @property
    def mean_row(self) -> int:
        return len(self.seat_ids) // max(len(self.row_starts), 1)

    @classmethod
    def of(cls, seats: SeatMap) -> "_Layout":
        """From a show's seats (booking/seat_map.py), with one pass of Python over them: every ordering is a sort
        with a C-level key, since the first picks of an on-sale wait for this. Rows in text order ("10" before
        "9"): only seats within a row need to be in order."""
        row_rank = [0] * len(seats.rows)
        for rank, row in enumerate(sorted(range(len(seats.rows)), key=seats.rows.__getitem__)):
            row_rank[row] = rank
        order = sorted(range(len(seats)), key=seats.numbers.__getitem__)
        order.sort(key=[row_rank[row] for row in seats.row_of].__getitem__)  # stable: by row, then number

        ids, numbers, row_of, tier_of = seats.ids, seats.numbers, seats.row_of, seats.tier_of
        seat_ids, tiers, row_starts, row_sections = array("i"), bytearray(), [], []
        positions = array("i", bytes(4 * len(seats)))  # seat index (seat id order) -> position
        code_of_tier = [0] * len(seats.tiers)  # codes in the order tiers first appear
        tier_ids: list[int] = []
        previous_row, previous_number = None, None
        for i in order:
            row, number = row_of[i], numbers[i]
            if row != previous_row:
                seat_ids.append(0)
                tiers.append(0)
                row_starts.append(len(seat_ids))
                row_sections.append(seats.rows[row][0])
            elif number != previous_number + 1:
                seat_ids.append(0)
                tiers.append(0)
            code = code_of_tier[tier_of[i]]
            if not code:  # a show has a handful of tiers, far below 255
                tier_ids.append(seats.tiers[tier_of[i]][0])
                code = code_of_tier[tier_of[i]] = len(tier_ids)
            positions[i] = len(seat_ids)
            seat_ids.append(ids[i])
            tiers.append(code)
            previous_row, previous_number = row, number

        sections: dict[str, tuple[int, int]] = {}
        row_ends = [start - 1 for start in row_starts[1:]] + [len(seat_ids)]  # a gap precedes every row
        for section, start, end in zip(row_sections, row_starts, row_ends):
            sections[section] = (sections.get(section, (start, 0))[0], end)
        tier_spans = {code: (tiers.find(code), tiers.rfind(code) + 1) for code in range(1, len(tier_ids) + 1)}
        tier_names = {ticket_type_id: name for ticket_type_id, name in seats.tiers}
        return cls(seat_ids, ids, positions, bytes(tiers), tier_ids, tier_names, sections, tier_spans, row_starts)

    def position(self, seat_id: int) -> int | None:
        i = bisect.bisect_left(self.ids_in_order, seat_id)
        if i < len(self.ids_in_order) and self.ids_in_order[i] == seat_id:
            return self.positions_in_order[i]
        return None



@dataclass
class _ShowView:
    layout: _Layout
    free: bytearray  # position -> tier code while the view has the seat free, else 0
    change_id: int  # the newest change of the show applied to `free`
    loaded_at: float
    synced_at: float
    picked: set[int] = field(default_factory=set)  # positions of picks not yet answered: a reload keeps them taken
    # Where this process's last pick of each (span, tier code) was: the next one goes on from there.
    cursors: dict[tuple, int] = field(default_factory=dict)
    syncing: asyncio.Task | None = None

    def mark(self, seat_ids: list[int], free: bool) -> None:
        layout = self.layout
        for seat_id in seat_ids:
            position = layout.position(seat_id)
            if position is not None and not (free and position in self.picked):
                self.free[position] = layout.tiers[position] if free else _TAKEN

    def find(self, quantity: int, tier_code: int | None, span: tuple[int, int], rng: random.Random, *,
             elsewhere: bool = False) -> int | None:
        """The first position of `quantity` free seats side by side (one tier) in `span`.

        A process fills one stretch of seats after the other: each pick goes on from where its last one in the same
        span and tier was, and the seats fill row by row without gaps. Its first pick starts at a random row, and so
        does a pick that had to skip more than two rows of seats taken: sold by other processes, whose buyers would
        otherwise be picking the same seats as these at the edge of their stretch (their newest sales not yet in this
        view). So does a pick `elsewhere`, after seats of this stretch were refused: another process is filling it."""
        codes = [tier_code] if tier_code is not None else range(1, len(self.layout.tier_ids) + 1)
        if tier_code is not None:  # the random row among the tier's rows: from one elsewhere, every pick wrapped round
            tier_first, tier_end = self.layout.tier_spans[tier_code]
            span = (max(span[0], tier_first), min(span[1], tier_end))
            if span[1] - span[0] < quantity:
                return None
        key = (span, tier_code)
        start = None if elsewhere else self.cursors.get(key)
        if start is None:
            start = self._random_row(span, rng)
        found, skipped = self._nearest(quantity, codes, span, start)
        if found is not None and skipped > 2 * self.layout.mean_row:
            found, _ = self._nearest(quantity, codes, span, self._random_row(span, rng))
        if found is not None:
            self.cursors[key] = found
        return found

    def _random_row(self, span: tuple[int, int], rng: random.Random) -> int:
        starts = self.layout.row_starts
        return max(starts[max(bisect.bisect_right(starts, rng.randrange(*span)) - 1, 0)], span[0])

    def _nearest(self, quantity: int, codes, span: tuple[int, int], start: int) -> tuple[int | None, int]:
        """The free run nearest after `start` in any tier of `codes` (wrapping round `span`), and how far it is. The
        tier of the seat at `start` is searched first, and a run of it within two rows is taken as it is: most picks
        go on in the tier they are in, without searching the other tiers' seats."""
        here = self.layout.tiers[start] if start < len(self.layout.tiers) else 0
        if here in codes and len(codes) > 1:
            codes = [here, *(code for code in codes if code != here)]
        best, distance = None, 0
        for code in codes:
            first, end = max(span[0], self.layout.tier_spans[code][0]), min(span[1], self.layout.tier_spans[code][1])
            if end - first < quantity:
                continue
            wanted = bytes([code]) * quantity
            found = self.free.find(wanted, max(start, first), end)
            if found < 0:
                found = self.free.find(wanted, first, max(start, first) + quantity - 1)
            if found >= 0:
                gap = (found - start) % (span[1] - span[0])
                if best is None or gap < distance:
                    best, distance = found, gap
                if distance <= 2 * self.layout.mean_row:
                    break
        return best, distance


class SeatPicker:
    """Per-process views of the shows buyers ask seats to be picked in, by (database, show); the last few kept."""

    def __init__(self, seat_map: Callable[[Database, int], Awaitable[SeatMap]], *, max_shows: int = 2,
                 rng: random.Random | None = None):
        """`seat_map`: the show's seats (booking/service.py's copy), which a view is built from."""
        self._seat_map = seat_map
        self._views = ShowCopies(self._first_load, ttl_s=math.inf, max_shows=max_shows)  # kept current in place
        self._rng = rng or random.Random()

    @contextmanager
    def _picking(self, view: _ShowView, first: int, quantity: int) -> Iterator[list[int]]:
        positions = range(first, first + quantity)
        view.picked.update(positions)
        view.free[first:first + quantity] = bytes(quantity)
        try:
            yield [view.layout.seat_ids[p] for p in positions]
        finally:
            view.picked.difference_update(positions)

    async def pick(self, db: Database, event_date_id: int, *, quantity: int, ticket_type_id: int | None,
                   section: str | None, after_refusal: bool = False):
        """A context manager over the picked seat ids (the caller books them inside it); InsufficientInventory when
        the show has no such seats free. `after_refusal` (the last seats picked were taken): the view first reads the
        change log, as whoever took those seats may have taken more, and the pick starts elsewhere."""
        view = await self._views.get(db, event_date_id)
        if after_refusal:
            if view.syncing is not None:
                await asyncio.shield(view.syncing)
            await self._start(view, self._sync(db, event_date_id, view))
        layout = view.layout
        span = layout.sections.get(section) if section is not None else (0, len(layout.seat_ids))
        if span is None:
            raise UnknownSection(f"This show has no section {section!r}.")
        tier_code = None
        if ticket_type_id is not None:
            if ticket_type_id not in layout.tier_ids:
                raise UnknownTicketType(f"Ticket type {ticket_type_id} is not on sale for this show.")
            tier_code = layout.tier_ids.index(ticket_type_id) + 1
        now = time.monotonic()
        if now - view.loaded_at >= _RELOAD_INTERVAL_S:
            self._start(view, self._reload(db, event_date_id, view))
        elif now - view.synced_at >= _SYNC_INTERVAL_S:
            self._start(view, self._sync(db, event_date_id, view))
        first = view.find(quantity, tier_code, span, self._rng, elsewhere=after_refusal)
        if first is None and now - view.loaded_at >= _SOLD_OUT_RELOAD_S:
            if view.syncing is not None:
                await asyncio.shield(view.syncing)
            if time.monotonic() - view.loaded_at >= _SOLD_OUT_RELOAD_S:
                await self._start(view, self._reload(db, event_date_id, view))
            first = view.find(quantity, tier_code, span, self._rng)
        if first is None:
            tier = f" {layout.tier_names[ticket_type_id]}" if ticket_type_id is not None else ""
            where = f" in section {section}" if section is not None else ""
            if quantity == 1:
                raise InsufficientInventory(f"No{tier} seat is left{where}.")
            raise InsufficientInventory(f"No {quantity}{tier} seats side by side are left{where}.")
        return self._picking(view, first, quantity)

    @staticmethod
    def _start(view: _ShowView, work) -> asyncio.Task:
        """One sync or reload of a view at a time: the one running is what a second caller gets."""
        if view.syncing is None:
            view.syncing = asyncio.ensure_future(work)
            view.syncing.add_done_callback(lambda task: _settled(view, task))
        else:
            work.close()
        return view.syncing

    async def _first_load(self, db: Database, event_date_id: int) -> _ShowView:
        layout = _Layout.of(await self._seat_map(db, event_date_id))
        view = _ShowView(layout, bytearray(len(layout.tiers)), 0, 0.0, 0.0)
        await self._reload(db, event_date_id, view)
        return view

    @staticmethod
    async def _reload(db: Database, event_date_id: int, view: _ShowView) -> None:
        started = time.monotonic()
        async with db.read() as conn:
            change_id = await newest_change_id(conn, event_date_id)  # first: a later change is applied again after
            taken = await repository.taken_seat_ids(conn, event_date_id, utcnow())
        free = bytearray(view.layout.tiers)
        for seat_id in taken:
            if (position := view.layout.position(seat_id)) is not None:
                free[position] = _TAKEN
        for position in view.picked:
            free[position] = _TAKEN
        view.free, view.change_id, view.loaded_at, view.synced_at = free, change_id, started, started
        await SeatPicker._sync(db, event_date_id, view)

    @staticmethod
    async def _sync(db: Database, event_date_id: int, view: _ShowView) -> None:
        """Apply the show's changes logged after the view's newest one. A change committing after a later one was
        read is missed here: its seats are wrong in the view until a refusal or the next reload."""
        view.synced_at = time.monotonic()
        async with db.lookup() as conn:
            while True:
                changes = await changes_after(conn, event_date_id=event_date_id, after_id=view.change_id,
                                              limit=_CHANGES_PER_READ)
                for change in changes:
                    if change.seat_ids and change.kind in (SOLD, HELD, RELEASED):
                        view.mark(json.loads(change.seat_ids), free=change.kind == RELEASED)
                    view.change_id = change.id
                if len(changes) < _CHANGES_PER_READ:
                    return


def _settled(view: _ShowView, task: asyncio.Task) -> None:
    """A failed sync or reload leaves the view as it was (a hint, still); the next pick tries again."""
    view.syncing = None
    if not task.cancelled() and task.exception() is not None:
        log.warning("reading the free seats of a show failed: %r", task.exception())
