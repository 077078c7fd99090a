"""The seats on sale for one show, as each server process keeps them to price seated bookings without a query and
to lay out the seat picker's view (booking/service.py, booking/seat_picker.py).

Flat arrays, about 25 bytes a seat, rather than a dict of fetched rows: for a 60,000-seat show the rows took ~25 MB
per show and process, were replaced whole every minute, and came back to the allocator in pieces it could rarely
hand back to the system, so a process's resident size grew with every show loaded."""

import bisect
from array import array
from collections.abc import Iterator
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
    """Seats added in ascending seat id order; looked up by seat id (bisection)."""

    def __init__(self) -> None:
        self._ids = array("q")
        self._prices = array("q")
        self._numbers = array("q")
        self._tiers = array("I")  # index into _tier_list
        self._places = array("I")  # index into _place_list
        self._tier_list: list[tuple[int, str]] = []  # (ticket_type_id, ticket type name)
        self._place_list: list[tuple[str, str]] = []  # (section, row)
        self._tier_index: dict[tuple[int, str], int] = {}
        self._place_index: dict[tuple[str, str], int] = {}

    def add(self, seat_id: int, ticket_type_id: int, price_cents: int, ticket_type: str, section: str, row: str,
            number: int) -> None:
        if self._ids and seat_id <= self._ids[-1]:
            raise ValueError(f"seats must be added in ascending seat id order ({seat_id} after {self._ids[-1]})")
        self._ids.append(seat_id)
        self._prices.append(price_cents)
        self._numbers.append(number)
        self._tiers.append(_index(self._tier_index, self._tier_list, (ticket_type_id, ticket_type)))
        self._places.append(_index(self._place_index, self._place_list, (section, row)))

    def get(self, seat_id: int) -> SeatOnSale | None:
        i = bisect.bisect_left(self._ids, seat_id)
        if i == len(self._ids) or self._ids[i] != seat_id:
            return None
        return self._seat(i)

    def __iter__(self) -> Iterator[SeatOnSale]:
        tiers, places, make = self._tier_list, self._place_list, SeatOnSale._make  # _make: a third of the time
        for seat_id, price_cents, number, tier, place in zip(self._ids, self._prices, self._numbers, self._tiers,
                                                             self._places):
            ticket_type_id, ticket_type = tiers[tier]
            section, row = places[place]
            yield make((seat_id, ticket_type_id, price_cents, ticket_type, section, row, number))

    def __len__(self) -> int:
        return len(self._ids)

    def _seat(self, i: int) -> SeatOnSale:
        ticket_type_id, ticket_type = self._tier_list[self._tiers[i]]
        section, row = self._place_list[self._places[i]]
        return SeatOnSale(self._ids[i], ticket_type_id, self._prices[i], ticket_type, section, row, self._numbers[i])


def _index(index: dict, values: list, value) -> int:
    found = index.get(value)
    if found is None:
        found = index[value] = len(values)
        values.append(value)
    return found
