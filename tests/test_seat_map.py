"""Whole seat maps read a part at a time: the booking's compact copy (booking/seat_map.py) and the availability
render. Read in parts smaller than a row of seats, both must come out exactly as read in one part."""

import pytest

from ticketbooth.booking import repository as booking_repository
from ticketbooth.booking.seat_map import SeatMap, SeatOnSale
from ticketbooth.catalog import service as catalog_service
from ticketbooth.db import database as data_access
from tests.test_catalog_cache import _in_process, _seats


def seats_in(seats: SeatMap) -> list[SeatOnSale]:
    return [seats.get(seat_id) for seat_id in seats.ids]


def test_a_seat_map_finds_every_seat_it_was_given_and_no_other():
    seats = SeatMap()
    given = [SeatOnSale(seat_id, 1 if seat_id < 20 else 3, 10000 if seat_id < 20 else 2500,
                        "VIP" if seat_id < 20 else "GA", "A" if seat_id < 30 else "B", str(seat_id // 10), seat_id % 10)
             for seat_id in range(10, 40, 3)]
    seats.extend(given[:4])
    seats.extend([])
    seats.extend(given[4:])

    assert seats_in(seats) == given and len(seats) == len(given)
    assert [seats.get(seat_id) for seat_id in (0, 11, 12, 38, 40, 10**12)] == [None] * 6
    assert seats.tiers == [(1, "VIP"), (3, "GA")] and seats.rows[:2] == [("A", "1"), ("A", "2")]


@pytest.mark.parametrize("part", [
    pytest.param(lambda given: given[-1:], id="an id added before"),
    pytest.param(lambda given: [given[-1]._replace(seat_id=100), given[-1]._replace(seat_id=99)], id="ids descending"),
    pytest.param(lambda given: [given[-1]._replace(seat_id=100)] * 2, id="an id twice"),
])
def test_a_seat_map_takes_seats_in_ascending_id_order_only(part):
    seats = SeatMap()
    given = [SeatOnSale(seat_id, 3, 2500, "GA", "A", "1", seat_id) for seat_id in (1, 2, 3)]
    seats.extend(given)

    with pytest.raises(ValueError):
        seats.extend(part(given))  # the query's ORDER BY; a lookup by bisection relies on it
    assert seats_in(seats) == given


@pytest.fixture
def small_parts(monkeypatch):
    def read_in_parts_of(rows: int) -> None:
        monkeypatch.setattr(data_access, "ROWS_PER_READ", rows)

    return read_in_parts_of


def test_a_seat_map_read_in_parts_is_the_seat_map_read_at_once(factory, database, small_parts):
    show = factory.seated_show(rows=3, per_row=5, tier_of_row={1: 1, 2: 2}, prices={1: 10000, 2: 4950, 3: 2500})

    def read() -> list[SeatOnSale]:
        async def work(db):
            async with db.read() as conn:
                return seats_in(await booking_repository.seats_of_show(conn, show.id))

        return _in_process(database, work)

    at_once = read()
    small_parts(4)
    assert read() == at_once
    assert [s.seat_id for s in at_once] == sorted(show.seat_ids)
    assert [(s.ticket_type_id, s.price_cents, s.row, s.number) for s in at_once[4:6]] == [(1, 10000, "1", 5),
                                                                                        (2, 4950, "2", 1)]


def test_availability_rendered_in_parts_is_byte_for_byte_the_render_at_once(api, factory, database, small_parts):
    show = factory.seated_show(rows=3, per_row=5, tier_of_row={1: 1, 2: 2}, prices={1: 10000, 2: 4950, 3: 2500})
    user = factory.user()
    assert api.post("/api/bookings", headers=user.auth, json=_seats(show.id, show.seat_ids[3:5])).status_code == 201
    assert api.post("/api/holds", headers=user.auth, json=_seats(show.id, show.seat_ids[7:9])).status_code == 201

    def render() -> bytes:
        async def work(db):
            async with db.read() as conn:
                return await catalog_service._availability_json(conn, show.id)

        return _in_process(database, work)

    at_once = render()
    small_parts(4)
    assert render() == at_once
    assert at_once == api.get(f"/api/event-dates/{show.id}/availability").content
    assert all(status in at_once for status in (b'"status":"sold"', b'"status":"held"', b'"status":"available"'))
