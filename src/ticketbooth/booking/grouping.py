"""Group commit: booking orders for one show that arrive together share one transaction.

In an on-sale everybody wants the same tier, and its inventory row can be locked by one transaction at a time,
from its UPDATE until its COMMIT is on disk. One order per transaction caps a show at one order per lock
window (PostgreSQL alone: ~1,400 bookings/s at 64 clients), and costs every order a COMMIT and its round
trips. So while a transaction for a show is in flight in this process, new orders for that show queue, and
then go together: one INSERT of all the orders and one of all their tickets, then, for GA, one conditional
UPDATE per tier for the group's total (`remaining >= total`), and one COMMIT. On PostgreSQL a group is a
single statement that is its own transaction (repository.book_ga_group, book_seat_group): one round trip, and
for GA the tier stays locked only while it runs. On MariaDB a seat group is one CALL of a stored procedure, a GA
group the orders' INSERT and one CALL (migrations 0004 and 0005), then the COMMIT.

Every order still gets its own, exact answer. A GA group is all-or-nothing: when one order breaks a constraint
(a reused Idempotency-Key), it is rolled back and each of its orders is booked on its own, exactly as without
grouping; when it does not fit (the tier is nearly sold out), one read of what is left decides which orders
go together once more, which alone, and which are refused because they cannot fit even alone. In a seat
group, no two orders want the same seat (a later one waits for the next group); an order wanting a seat that a
read inside the transaction finds sold or held is refused without being written; for the others the unique
constraint on (show, seat) decides seat by seat, and an order that missed a seat taken meanwhile by another
transaction is deleted again inside it (on PostgreSQL the one statement fails as a whole instead, and the group
goes as a transaction), so an order is refused only for a seat that someone actually got.
Nothing about inventory lives in memory: an order waits here only until the transaction that books it starts,
and a first order never waits at all (a group forms only behind a transaction already in flight).
"""

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.booking import repository
from ticketbooth.db.database import Database
from ticketbooth.errors import SeatAlreadyTaken
from ticketbooth.holds.repository import expired_held_quantities, free_expired_seat_holds
from ticketbooth.kit import utcnow
from ticketbooth.live.repository import SOLD, record_change

log = logging.getLogger(__name__)


# Seat groups stay smaller than GA ones: on MariaDB, INSERT IGNORE share-locks every seat it finds taken, and
# groups of 200 overlapping seat orders deadlocked each other past the retries (503s in the seat race tests).
MAX_SEAT_ORDERS = 50


class BookAlone(Exception):
    """The group could not be booked as a whole: book this order in a transaction of its own."""


class TierSoldOut(Exception):
    """A committed read taken after the order arrived found fewer tickets of this tier left, counting those of
    expired holds, than the order wants on its own: what booking it alone would conclude, without the query."""

    def __init__(self, ticket_type_id: int):
        super().__init__(ticket_type_id)
        self.ticket_type_id = ticket_type_id


@dataclass(eq=False)  # each order is itself: compared and hashed by identity
class GroupedOrder:
    order: dict  # the order row, without id and created_at
    tickets: list[dict]  # its ticket rows, without order_id and created_at
    answer: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    @property
    def seated(self) -> bool:
        return self.tickets[0]["seat_id"] is not None  # a show is GA or SEATED: so is every order of its queue


class _DoesNotFit(Exception):
    pass


class GroupBooker:
    """One queue per show, worked by one group transaction at a time in this process: the orders that arrive
    while it runs form the next, larger group. (Two in flight, one building its group while the other waited for
    its COMMIT, won only while the event loop stalled in garbage collections; docs/benchmarks.md.)"""

    def __init__(self, db: Database, *, max_orders: int):
        self._db = db
        self._max_orders = max_orders
        self._queues: dict[int, list[GroupedOrder]] = {}
        self._draining: set[int] = set()
        self._drains: set[asyncio.Task] = set()

    async def book(self, event_date_id: int, order: dict, tickets: list[dict]) -> tuple[int, list[sa.Row]]:
        """(order id, issued tickets) once committed; BookAlone when the group had to be undone."""
        pending = GroupedOrder(order, tickets)
        self._queues.setdefault(event_date_id, []).append(pending)
        if event_date_id not in self._draining:  # start a group now rather than queue
            self._draining.add(event_date_id)
            task = asyncio.create_task(self._drain(event_date_id))
            self._drains.add(task)
            task.add_done_callback(self._drains.discard)
        # The group goes on without a caller who stops waiting: a committed order is found by its key on retry.
        return await asyncio.shield(pending.answer)

    async def _drain(self, event_date_id: int) -> None:
        queue = self._queues[event_date_id]
        try:
            limit = min(self._max_orders, MAX_SEAT_ORDERS) if queue[0].seated else self._max_orders
            while queue:
                group = queue[:limit]
                del queue[:limit]
                if group[0].seated:
                    group, later = _seat_disjoint(group)
                    queue[:0] = later
                await self._book_group(event_date_id, group)
        finally:
            self._draining.discard(event_date_id)
            if not queue:
                del self._queues[event_date_id]

    async def _book_group(self, event_date_id: int, group: list[GroupedOrder]) -> None:
        outcome = await self._attempt(event_date_id, group)
        if isinstance(outcome, _DoesNotFit):
            # Near a sell-out: the orders that fit in what is left right now go together once more (the
            # conditional UPDATE still decides), the others alone, rather than all of them one by one; after
            # it, every order is refused from this one read instead of a read of its own.
            fit, sold_out = await self._fitting(event_date_id, group)
            self._answer(list(sold_out), list(sold_out.values()))
            group = [g for g in group if g not in sold_out]
            if fit and len(group) > 1:
                attempt = await self._attempt(event_date_id, fit)
                self._answer(fit, attempt if isinstance(attempt, list) else [BookAlone()] * len(fit))
                group = [g for g in group if g not in fit]
        if isinstance(outcome, (_DoesNotFit, IntegrityError)):
            if len(group) > 1:
                log.debug("%d orders for show %d booked one by one: %r", len(group), event_date_id, outcome)
            outcome = [BookAlone()] * len(group)
        elif isinstance(outcome, BaseException):  # the database is unavailable or the COMMIT's outcome unknown
            outcome = [outcome] * len(group)  # every order of the group gets the 503
        self._answer(group, outcome)

    async def _attempt(self, event_date_id: int, group: list[GroupedOrder]) -> list | BaseException:
        try:
            if self._db.dialect == "postgresql" and not group[0].seated:
                return await self._db.run_statement(lambda conn: _book_ga_group(conn, event_date_id, group, utcnow()))
            if self._db.dialect == "postgresql":
                try:
                    booked = await self._db.run_statement(lambda conn: _book_seat_group(conn, event_date_id, group,
                                                                                         utcnow()))
                    if booked is not None:
                        return booked
                except IntegrityError:  # a seat taken by a concurrent transaction meanwhile, or a reused key
                    pass  # nothing was written: the group goes as a transaction, which decides seat by seat
            return await self._db.run_transaction(lambda conn: _write_group(conn, event_date_id, group, utcnow()))
        except Exception as exc:
            return exc

    async def _fitting(
        self, event_date_id: int, group: list[GroupedOrder]
    ) -> tuple[list[GroupedOrder], dict[GroupedOrder, TierSoldOut]]:
        """Of a GA group, read once after all its orders arrived: the orders that fit, first come first served,
        in what the tiers have left now, and those that cannot be booked now even on their own."""
        wanted = [Counter(t["ticket_type_id"] for t in g.tickets) for g in group]
        try:
            async with self._db.lookup() as conn:
                left = await repository.tickets_left(conn, event_date_id, sorted(set().union(*wanted)))
                expired = await expired_held_quantities(conn, event_date_id=event_date_id, now=utcnow())
        except Exception:
            return [], {}
        fit, sold_out = [], {}
        free = dict(left)
        for g, tiers in zip(group, wanted):
            short = [tier for tier, qty in tiers.items() if left.get(tier, 0) + expired.get(tier, 0) < qty]
            if short:
                sold_out[g] = TierSoldOut(min(short))
            elif all(free.get(tier, 0) >= qty for tier, qty in tiers.items()):
                fit.append(g)
                for tier, qty in tiers.items():
                    free[tier] -= qty
        return fit, sold_out

    @staticmethod
    def _answer(group: list[GroupedOrder], outcome: list) -> None:
        for pending, result in zip(group, outcome):
            if pending.answer.done():
                continue
            if isinstance(result, BaseException):
                pending.answer.set_exception(result)
            else:
                pending.answer.set_result(result)

    async def close(self) -> None:
        await asyncio.gather(*self._drains, return_exceptions=True)


async def _write_group(
    conn: AsyncConnection, event_date_id: int, group: list[GroupedOrder], now: datetime
) -> list[tuple[int, list[sa.Row]] | Exception]:
    if group[0].seated and conn.dialect.name == "mysql":  # one CALL of the procedure of migration 0004
        return _seat_outcomes(group, await repository.call_book_seat_group(conn, **_group_args(
            event_date_id, group, now)))
    if group[0].seated:
        return await _write_seated_group(conn, event_date_id, group, now)
    order_ids = await repository.insert_orders(conn, [{**g.order, "created_at": now} for g in group])
    if conn.dialect.name == "mysql":  # the rest in one CALL of the procedure of migration 0005
        return _ga_outcomes(group, await repository.call_book_ga_group(
            conn, event_date_id=event_date_id, event_id=group[0].tickets[0]["event_id"], order_ids=order_ids,
            tickets=[g.tickets for g in group], change_kind=SOLD, now=now))
    issued = await repository.insert_tickets(conn, [
        {**t, "order_id": order_id, "created_at": now} for g, order_id in zip(group, order_ids) for t in g.tickets
    ], in_order=True)
    await record_change(conn, event_date_id=event_date_id, kind=SOLD, seat_ids=None, now=now)
    # Last, so the hot inventory rows stay locked only from here to the COMMIT; tiers in id order (no deadlock).
    totals = Counter(t["ticket_type_id"] for g in group for t in g.tickets)
    for ticket_type_id in sorted(totals):
        if not await repository.take_ga_inventory(conn, event_date_id=event_date_id, ticket_type_id=ticket_type_id,
                                                  quantity=totals[ticket_type_id]):
            raise _DoesNotFit(f"ticket type {ticket_type_id}: fewer than {totals[ticket_type_id]} left")
    return _by_order(order_ids, issued)


async def _book_ga_group(
    conn: AsyncConnection, event_date_id: int, group: list[GroupedOrder], now: datetime
) -> list[tuple[int, list[sa.Row]]]:
    """PostgreSQL: what _write_group does for a GA group, in one statement (repository.book_ga_group)."""
    return _ga_outcomes(group, await repository.book_ga_group(conn, **_group_args(event_date_id, group, now)))


def _group_args(event_date_id: int, group: list[GroupedOrder], now: datetime) -> dict:
    return {"event_date_id": event_date_id, "event_id": group[0].tickets[0]["event_id"],
            "orders": [g.order for g in group], "tickets": [g.tickets for g in group], "change_kind": SOLD, "now": now}


def _ga_outcomes(group: list[GroupedOrder], issued: list[sa.Row] | None) -> list[tuple[int, list[sa.Row]]]:
    """Each order's (order id, tickets) from the issued tickets, which name their order's position `ord`; None
    means nothing was booked because a tier had too few left."""
    if issued is None:
        raise _DoesNotFit("a tier of the group has fewer tickets left than the group wants")
    order_ids = [0] * len(group)
    for row in issued:
        order_ids[row.ord - 1] = row.order_id
    return _by_order(order_ids, issued)


def _seat_disjoint(group: list[GroupedOrder]) -> tuple[list[GroupedOrder], list[GroupedOrder]]:
    """The orders of a seat group that want no seat an earlier order of it wants, and the others, which wait for
    the next group: there they are refused from its read if the earlier order got the seat, booked otherwise."""
    claimed: set[int] = set()
    disjoint, later = [], []
    for g in group:
        seats = {t["seat_id"] for t in g.tickets}
        if claimed.isdisjoint(seats):
            claimed |= seats
            disjoint.append(g)
        else:
            later.append(g)
    return disjoint, later


async def _book_seat_group(
    conn: AsyncConnection, event_date_id: int, group: list[GroupedOrder], now: datetime
) -> list[tuple[int, list[sa.Row]] | Exception] | None:
    """PostgreSQL: a seat group in one statement (repository.book_seat_group); None when it must be a transaction
    (an expired hold is to be freed)."""
    issued = await repository.book_seat_group(conn, **_group_args(event_date_id, group, now))
    return None if issued is None else _seat_outcomes(group, issued)


def _seat_outcomes(group: list[GroupedOrder], issued: list[sa.Row]) -> list[tuple[int, list[sa.Row]] | Exception]:
    """Each order's (order id, tickets) from the issued tickets, which name their order's position `ord`; an order
    without tickets was refused for a seat someone else has."""
    by_position: dict[int, list[sa.Row]] = {}
    for row in issued:
        by_position.setdefault(row.ord, []).append(row)
    return [(rows[0].order_id, rows) if (rows := by_position.get(position)) else SeatAlreadyTaken()
            for position in range(1, len(group) + 1)]


async def _write_seated_group(
    conn: AsyncConnection, event_date_id: int, group: list[GroupedOrder], now: datetime
) -> list[tuple[int, list[sa.Row]] | Exception]:
    """Seats, on SQLite and, when its one statement cannot do, on PostgreSQL: an order wanting a seat that is sold or
    held already (read in this transaction; an expired hold's seat is freed instead) is refused without writing
    anything. The others' ticket rows all go in, skipping seats taken meanwhile; an order that did not get all its
    seats is deleted again in the same transaction, so each order is still all or nothing, and the unique constraint
    decides."""
    seat_ids = sorted({t["seat_id"] for g in group for t in g.tickets})
    found = await repository.seat_tickets(conn, event_date_id, seat_ids, now)
    if any(found.values()):
        await free_expired_seat_holds(conn, event_date_id=event_date_id, seat_ids=seat_ids, now=now)
    taken = {seat_id for seat_id, expired_hold in found.items() if not expired_hold}
    outcome: dict[GroupedOrder, tuple[int, list[sa.Row]] | Exception] = {
        g: SeatAlreadyTaken() for g in group if any(t["seat_id"] in taken for t in g.tickets)
    }
    trying = [g for g in group if g not in outcome]
    if trying:
        outcome.update(await _insert_seated_orders(conn, event_date_id, trying, now))
    return [outcome[g] for g in group]


async def _insert_seated_orders(
    conn: AsyncConnection, event_date_id: int, group: list[GroupedOrder], now: datetime
) -> dict[GroupedOrder, tuple[int, list[sa.Row]] | Exception]:
    one_statement = conn.dialect.name == "postgresql"
    if one_statement:  # the change row too
        order_ids, issued = await repository.book_seat_orders(conn, **_group_args(event_date_id, group, now))
    else:
        order_ids = await repository.insert_orders(conn, [{**g.order, "created_at": now} for g in group])
        rows = [{**t, "order_id": order_id, "created_at": now}
                for g, order_id in zip(group, order_ids) for t in g.tickets]
        rows.sort(key=lambda r: r["seat_id"])  # one lock order across concurrent groups: no deadlock
        issued = await repository.insert_free_seat_tickets(conn, rows)
    got = Counter(r.order_id for r in issued)
    short = {order_id for g, order_id in zip(group, order_ids) if got[order_id] < len(g.tickets)}
    if short:
        await repository.delete_orders(conn, sorted(short))
    if not one_statement:
        if sold := sorted(r.seat_id for r in issued if r.order_id not in short):
            await record_change(conn, event_date_id=event_date_id, kind=SOLD, seat_ids=sold, now=now)
    booked = _by_order(order_ids, [r for r in issued if r.order_id not in short])
    # No two orders of a group want the same seat (_seat_disjoint): a missing seat was sold or held meanwhile.
    return {g: SeatAlreadyTaken() if order_id in short else result
            for g, order_id, result in zip(group, order_ids, booked)}


def _by_order(order_ids: list[int], issued: list[sa.Row]) -> list[tuple[int, list[sa.Row]]]:
    by_order: dict[int, list[sa.Row]] = {order_id: [] for order_id in order_ids}
    for row in issued:
        by_order[row.order_id].append(row)
    return [(order_id, by_order[order_id]) for order_id in order_ids]
