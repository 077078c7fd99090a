"""The seats on sale for one show, as each server process keeps them to price seated bookings without a query and
to lay out the seat picker's view (booking/service.py, booking/seat_picker.py).

Flat arrays, about 25 bytes a seat, rather than a dict of fetched rows: for a 60,000-seat show the rows took ~25 MB
per show and process, were replaced whole every minute, and came back to the allocator in pieces it could rarely
hand back to the system, so a process's resident size grew with every show loaded."""

import bisect
import operator
from array import array
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class SeatOnSale(NamedTuple):
    seat_id: int
    ticket_type_id: int
    price_cents: int
    ticket_type: str
    section: str
    row: str
    number: int


class SeatMap:
    """Seats added in ascending seat id order, a part of the query's rows at a time; looked up by seat id (bisection).

    Its columns, one entry per seat in seat id order, are what the seat picker lays its view out from
    (booking/seat_picker.py); read them, never write them: `ids`, `numbers`, `tier_of` (index into `tiers`, the
    show's (ticket_type_id, name) pairs) and `row_of` (index into `rows`, its (section, row) pairs)."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.numbers = array("q")
        self.tier_of = array("I")
        self.row_of = array("I")
        self.tiers: list[tuple[int, str]] = []
        self.rows: list[tuple[str, str]] = []
        self._prices = array("q")
        self._tier_index: dict[tuple[int, str], int] = {}
        self._row_index: dict[tuple[str, str], int] = {}

    def extend(self, seats: Sequence[Sequence]) -> None:
        """Seats as rows of SeatOnSale's fields, in ascending seat id order after those already added. Column by
        column: a 60,000-seat show is read in parts of a few thousand rows, and a call per seat took longer than
        decoding the rows."""
        if not seats:
            return
        ids, ticket_type_ids, prices, ticket_types, sections, rows, numbers = zip(*seats)
        if (self.ids and ids[0] <= self.ids[-1]) or any(map(operator.ge, ids, ids[1:])):
            raise ValueError("seats must be added in ascending seat id order (the query's ORDER BY)")
        self.ids.extend(ids)
        self._prices.extend(prices)
        self.numbers.extend(numbers)
        self.tier_of.extend(_indexes(self._tier_index, self.tiers, zip(ticket_type_ids, ticket_types)))
        self.row_of.extend(_indexes(self._row_index, self.rows, zip(sections, rows)))

    def get(self, seat_id: int) -> SeatOnSale | None:
        i = bisect.bisect_left(self.ids, seat_id)
        if i == len(self.ids) or self.ids[i] != seat_id:
            return None
        return self._seat(i)

    def __len__(self) -> int:
        return len(self.ids)

    def _seat(self, i: int) -> SeatOnSale:
        ticket_type_id, ticket_type = self.tiers[self.tier_of[i]]
        section, row = self.rows[self.row_of[i]]
        return SeatOnSale(self.ids[i], ticket_type_id, self._prices[i], ticket_type, section, row, self.numbers[i])


def _indexes(index: dict, values: list, keys: Iterable) -> list[int]:
    """The index of each key in `values`, appending the keys not seen before."""
    found = []
    for key in keys:
        i = index.get(key)
        if i is None:
            i = index[key] = len(values)
            values.append(key)
        found.append(i)
    return found
