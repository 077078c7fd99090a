"""What must hold in the database after any fault: whole orders only, inventory sums, no lost or ghost orders."""

from collections import Counter

import sqlalchemy as sa

from ticketbooth.db import tables as t
from tests.support.load import LoadResult


def assert_no_half_written_orders(engine: sa.Engine, show_ids: list[int]) -> dict[int, list[int]]:
    """Every ticket of these shows belongs to an existing order, and every order holds exactly total_tickets
    tickets. Returns {order_id: [ticket ids]}."""
    with engine.connect() as conn:
        tickets = conn.execute(
            sa.select(t.ticket.c.id, t.ticket.c.order_id, t.order.c.id.label("found_order"))
            .select_from(t.ticket.outerjoin(t.order, t.order.c.id == t.ticket.c.order_id))
            .where(t.ticket.c.event_date_id.in_(show_ids))
        ).all()
        orders = dict(conn.execute(
            sa.select(t.order.c.id, t.order.c.total_tickets).where(t.order.c.event_date_id.in_(show_ids))
        ).all())
    orphans = [row.id for row in tickets if row.order_id is None or row.found_order is None]
    assert not orphans, f"tickets without their order: {orphans[:20]}"
    by_order: dict[int, list[int]] = {}
    for row in tickets:
        by_order.setdefault(row.order_id, []).append(row.id)
    wrong = {oid: (len(by_order.get(oid, [])), total) for oid, total in orders.items()
             if len(by_order.get(oid, [])) != total}
    assert not wrong, f"orders whose ticket count differs from total_tickets (found, expected): {wrong}"
    return {oid: sorted(ids) for oid, ids in by_order.items()}


def assert_inventory_sums(engine: sa.Engine, ga_show_id: int) -> None:
    inv = t.event_date_has_ticket_type
    with engine.connect() as conn:
        sold = dict(conn.execute(
            sa.select(t.ticket.c.ticket_type_id, sa.func.count())
            .where(t.ticket.c.event_date_id == ga_show_id).group_by(t.ticket.c.ticket_type_id)
        ).all())
        rows = conn.execute(sa.select(inv.c.ticket_type_id, inv.c.max_quantity, inv.c.remaining_tickets)
                            .where(inv.c.event_date_id == ga_show_id)).all()
    for row in rows:
        got = sold.get(row.ticket_type_id, 0)
        assert got + row.remaining_tickets == row.max_quantity, (
            f"tier {row.ticket_type_id}: sold {got} + remaining {row.remaining_tickets} != {row.max_quantity}")


def assert_seats_sold_once(engine: sa.Engine, seated_show_id: int) -> None:
    with engine.connect() as conn:
        seats = conn.execute(sa.select(t.ticket.c.seat_id).where(t.ticket.c.event_date_id == seated_show_id)).scalars()
        twice = [s for s, n in Counter(seats).items() if n > 1]
    assert not twice, f"seats sold twice: {twice}"


def assert_every_success_stored(orders: dict[int, list[int]], result: LoadResult) -> None:
    """Every 201 names an order that exists with exactly the tickets the response listed, and every stored
    order was answered with a 201 (a retry replays, never books twice)."""
    answered: dict[int, list[int]] = {}
    for booking in result.created():
        ticket_ids = sorted(ticket["id"] for ticket in booking.final.body["tickets"])
        previous = answered.setdefault(booking.order_id, ticket_ids)
        assert previous == ticket_ids, f"order {booking.order_id} answered with different tickets"
    lost = {oid: ids for oid, ids in answered.items() if orders.get(oid) != ids}
    assert not lost, f"201 responses whose order or tickets are not in the database: {list(lost)[:20]}"
    ghosts = sorted(set(orders) - set(answered))
    assert not ghosts, f"orders in the database that no client was told about (double booking?): {ghosts[:20]}"
    keys = Counter(b.key for b in result.created() if b.key)
    assert max(keys.values(), default=1) == 1
