"""The seat picker's view of a show (booking/seat_picker.py) without a database: its layout and where picks land.

Which seats are free is decided by the booking transaction (tests/test_pick_seats.py); here only the hint's logic.
"""

import random
from collections import namedtuple

from ticketbooth.booking.seat_map import SeatMap
from ticketbooth.booking.seat_picker import _Layout, _ShowView

Seat = namedtuple("Seat", "seat_id ticket_type_id price_cents ticket_type section row number")


def arena(sections: int = 10, rows: int = 10, per_row: int = 20) -> dict[int, Seat]:
    """Section S01 is VIP (ticket type 1), the rest GA (3)."""
    seats, seat_id = {}, 1
    for s in range(1, sections + 1):
        for r in range(1, rows + 1):
            for n in range(1, per_row + 1):
                tier = 1 if s == 1 else 3
                seats[seat_id] = Seat(seat_id, tier, 100, "VIP" if tier == 1 else "GA", f"S{s:02d}", str(r), n)
                seat_id += 1
    return seats


def fresh_view(seats: dict[int, Seat]) -> _ShowView:
    seat_map = SeatMap()
    seat_map.extend([seats[seat_id] for seat_id in sorted(seats)])
    layout = _Layout.of(seat_map)
    return _ShowView(layout, bytearray(layout.tiers), 0, 0.0, 0.0)


def take(view: _ShowView, quantity: int, tier_code: int | None, rng: random.Random, **kw) -> list[Seat] | None:
    span = (0, len(view.layout.seat_ids))
    first = view.find(quantity, tier_code, span, rng, **kw)
    if first is None:
        return None
    view.free[first:first + quantity] = bytes(quantity)
    return [view.layout.seat_ids[p] for p in range(first, first + quantity)]


def test_runs_never_cross_a_row_or_a_missing_seat_number():
    seats = {1: Seat(1, 3, 100, "GA", "A", "1", 1), 2: Seat(2, 3, 100, "GA", "A", "1", 2),
             3: Seat(3, 3, 100, "GA", "A", "1", 4),  # seat 3 of row 1 does not exist
             4: Seat(4, 3, 100, "GA", "A", "2", 1), 5: Seat(5, 3, 100, "GA", "A", "2", 2)}
    view = fresh_view(seats)
    rng = random.Random(1)

    pairs = [take(view, 2, None, rng) for _ in range(3)]

    assert sorted(map(sorted, filter(None, pairs))) == [[1, 2], [4, 5]]
    assert pairs.count(None) == 1  # seat 4 of row 1 is alone
    assert take(view, 1, None, rng) == [3]


def test_a_process_fills_its_stretch_seat_after_seat():
    view = fresh_view(arena())
    rng = random.Random(2)

    picks = [take(view, 2, None, rng) for _ in range(5)]

    ids = [seat for pick in picks for seat in pick]
    assert ids == list(range(ids[0], ids[0] + 10))  # from the start of a row of 20, side by side, no gaps


def test_first_picks_of_a_tier_start_at_random_rows_of_that_tier():
    """Two processes asking for the same tier must not both start at its first seats (they would want the same ones
    all the time): a tier's random start row is one of the tier's own rows."""
    seats = arena()
    starts = set()
    for seed in range(20):
        view = fresh_view(seats)
        pick = take(view, 1, view.layout.tier_ids.index(1) + 1, random.Random(seed))
        starts.add(seats[pick[0]].row)
        assert seats[pick[0]].ticket_type_id == 1
    assert len(starts) >= 5


def test_a_pick_elsewhere_leaves_the_stretch():
    view = fresh_view(arena(sections=10, rows=20))
    rng = random.Random(3)
    first = take(view, 2, None, rng)

    moved = [take(view, 2, None, rng, elsewhere=True) for _ in range(5)]

    assert sum(abs(pick[0] - first[0]) > 40 for pick in moved) >= 3


def test_the_layout_puts_seats_in_row_order_whatever_their_ids():
    """Seat ids say nothing about where a seat is: here they run backwards through the rows, and row "10" sorts
    before row "9" (text order is enough, as long as each row's seats are together and in number order)."""
    places = [("A", "9", 1, 3), ("A", "9", 2, 3), ("A", "9", 4, 3),  # no seat 3 in row 9
              ("A", "10", 1, 1), ("A", "10", 2, 1), ("B", "1", 1, 3), ("B", "1", 2, 3)]
    seats = {seat_id: Seat(seat_id, tier, 100, "VIP" if tier == 1 else "GA", section, row, number)
             for seat_id, (section, row, number, tier) in zip(range(70, 0, -10), places)}
    layout = fresh_view(seats).layout

    assert list(layout.seat_ids) == [0, 40, 30, 0, 70, 60, 0, 50, 0, 20, 10]
    assert [layout.position(seat_id) for seat_id in (70, 60, 50, 40, 30, 20, 10)] == [4, 5, 7, 1, 2, 9, 10]
    assert layout.position(35) is None
    assert layout.row_starts == [1, 4, 9] and layout.mean_row == 3
    assert layout.sections == {"A": (1, 8), "B": (9, 11)}
    assert layout.tier_ids == [1, 3] and layout.tier_names == {1: "VIP", 3: "GA"}
    assert layout.tiers == bytes([0, 1, 1, 0, 2, 2, 0, 2, 0, 2, 2])
    assert layout.tier_spans == {1: (1, 3), 2: (4, 11)}
