"""The rendered-body caches of availability and the events list: never a stale answer past a change.

Availability is keyed by the inventory version (newest availability_change id of the date) and the next hold
expiry, looked up on every request; the events list is cached for TICKETBOOTH_CATALOG_LIST_TTL_S (1 s).
"""

import asyncio
import gzip
import json
import time
from contextlib import aclosing
from datetime import timedelta
from itertools import groupby

import httpx
import pytest
import sqlalchemy as sa
from pydantic import TypeAdapter

from ticketbooth.catalog import repository as catalog_repository
from ticketbooth.catalog import service
from ticketbooth.catalog.cache import RenderCache, Rendered, build
from ticketbooth.catalog.schemas import EventOut, GaAvailability, SeatedAvailability
from ticketbooth.config import Settings
from ticketbooth.db import tables as t
from ticketbooth.db.database import Database
from ticketbooth.holds.repository import expired_held_quantities
from ticketbooth.kit import utcnow
from ticketbooth.live.repository import forget_old_changes
from tests.support.factories import expire_holds
from tests.test_catalog import EVENTS_TTL_S, dates_of, events_until

AVAILABILITY = TypeAdapter(GaAvailability | SeatedAvailability)
EVENTS = TypeAdapter(list[EventOut])


def _in_process(database, work):
    """Run `work(db)` against the test database with the app's own Database (async)."""

    async def main():
        db = Database(Settings(database_url=database.async_url))
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _seats(show_id, seat_ids):
    return {"eventDateId": show_id, "customerName": "A", "paymentSource": "card",
            "seats": [{"seatId": s} for s in seat_ids]}


def _tiers(show_id, tiers):
    return {"eventDateId": show_id, "customerName": "A", "paymentSource": "card",
            "tiers": [{"ticketTypeId": k, "quantity": q} for k, q in tiers.items()]}


def _statuses(api, show_id) -> dict[int, str]:
    body = api.get(f"/api/event-dates/{show_id}/availability").json()
    return {s["seatId"]: s["status"] for sec in body["sections"] for row in sec["rows"] for s in row["seats"]}


def _remaining(api, show_id) -> dict[int, int]:
    return {t["id"]: t["remaining"] for t in api.get(f"/api/event-dates/{show_id}/availability").json()["tiers"]}


def _expected_availability(database, show_id) -> dict:
    """The availability as its response model renders it, from the rows read plainly: the oracle the server's
    hand-built JSON is compared with."""

    async def work(db):
        async with db.read() as conn:
            mode = (await catalog_repository.get_event_date(conn, show_id)).seating_mode
            if mode == "GA":
                expired = await expired_held_quantities(conn, event_date_id=show_id, now=utcnow())
                raw = {"seating_mode": "GA", "tiers": [
                    {"id": tier.id, "name": tier.name, "price": tier.price_cents,
                     "remaining": tier.remaining_tickets + expired.get(tier.id, 0)}
                    for tier in await catalog_repository.ga_tiers(conn, show_id)]}
            else:
                async with aclosing(catalog_repository.whole_seat_map(conn, show_id)) as parts:
                    raw = {"seating_mode": "SEATED", "sections": _sections(
                        [seat async for rows in parts for seat in rows], utcnow())}
        return AVAILABILITY.dump_python(AVAILABILITY.validate_python(raw), mode="json", by_alias=True)

    return _in_process(database, work)


def _sections(seats, now) -> list[dict]:
    def seat_out(s) -> dict:
        status = service.seat_status(s.ticket_id, s.order_id, s.hold_expires_at, now)
        return {"seat_id": s.id, "label": service.seat_label(s.section, s.row, s.number), "number": s.number,
                "ticket_type": s.ticket_type, "ticket_type_id": s.ticket_type_id, "price": s.price_cents,
                "available": status == "available", "status": status, "accessible": s.is_accessible}

    return [{"section": section, "rows": [{"row": row, "seats": [seat_out(s) for s in row_seats]}
                                          for row, row_seats in groupby(section_seats, key=lambda s: s.row)]}
            for section, section_seats in groupby(seats, key=lambda s: s.section)]


def test_every_sale_hold_and_release_shows_in_the_very_next_seated_availability(api, factory):
    show = factory.seated_show(rows=1, per_row=4)
    user = factory.user()
    a, b, c = show.seat_ids[:3]
    url = f"/api/event-dates/{show.id}/availability"
    assert api.get(url).headers["etag"] == api.get(url).headers["etag"]  # cached now

    hold = api.post("/api/holds", headers=user.auth, json=_seats(show.id, [a, b]))
    assert hold.status_code == 201
    assert [_statuses(api, show.id)[s] for s in (a, b, c)] == ["held", "held", "available"]

    assert api.delete(f"/api/holds/{hold.json()['holdId']}", headers=user.auth).status_code == 204
    assert [_statuses(api, show.id)[s] for s in (a, b, c)] == ["available", "available", "available"]

    booked = api.post("/api/bookings", headers=user.auth, json=_seats(show.id, [c]))
    assert booked.status_code == 201
    assert [_statuses(api, show.id)[s] for s in (a, b, c)] == ["available", "available", "sold"]


def test_every_sale_hold_and_release_shows_in_the_very_next_ga_availability(api, factory):
    show = factory.ga_show({1: (10, 10000), 3: (100, 1000)})
    user = factory.user()
    assert _remaining(api, show.id) == _remaining(api, show.id) == {1: 10, 3: 100}

    hold = api.post("/api/holds", headers=user.auth, json=_tiers(show.id, {1: 4}))
    assert hold.status_code == 201
    assert _remaining(api, show.id) == {1: 6, 3: 100}
    assert api.delete(f"/api/holds/{hold.json()['holdId']}", headers=user.auth).status_code == 204
    assert _remaining(api, show.id) == {1: 10, 3: 100}
    assert api.post("/api/bookings", headers=user.auth, json=_tiers(show.id, {3: 3})).status_code == 201
    assert _remaining(api, show.id) == {1: 10, 3: 97}


def test_etag_gives_304_until_a_sale_changes_it(api, factory):
    show = factory.seated_show(rows=1, per_row=3)
    user = factory.user()
    url = f"/api/event-dates/{show.id}/availability"
    first = api.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"

    again = api.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag

    assert api.post("/api/bookings", headers=user.auth, json=_seats(show.id, show.seat_ids[:1])).status_code == 201
    after = api.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert after.json()["sections"][0]["rows"][0]["seats"][0]["status"] == "sold"
    assert api.get(url, headers={"If-None-Match": after.headers["etag"]}).status_code == 304


def _raw_get(base_url: str, path: str, headers: dict) -> tuple[httpx.Response, bytes]:
    with httpx.Client(base_url=base_url, timeout=30) as client, client.stream("GET", path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


@pytest.mark.parametrize("path", ["availability", "events"])
def test_gzip_body_decodes_to_the_same_json(server, factory, path):
    show = factory.seated_show(rows=5, per_row=20)
    url = "/api/events" if path == "events" else f"/api/event-dates/{show.id}/availability"
    if path == "events":  # a list cached before the show was made may still be served for up to the TTL
        for _ in range(5):  # a list long enough to be compressed (512 bytes), whatever ran before this test
            factory.ga_show({3: (10, 1000)})
        with httpx.Client(base_url=server.url) as api:
            assert show.id in dates_of(events_until(api, lambda events: show.id in dates_of(events)))
    plain, plain_bytes = _raw_get(server.url, url, {"Accept-Encoding": "identity"})
    zipped, zipped_bytes = _raw_get(server.url, url, {"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})

    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
    assert len(zipped_bytes) < len(plain_bytes)
    assert json.loads(gzip.decompress(zipped_bytes)) == json.loads(plain_bytes)
    refused, _ = _raw_get(server.url, url, {"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    # The same content in either encoding: either ETag makes a conditional request 304.
    for etag in (plain.headers["etag"], zipped.headers["etag"]):
        assert _raw_get(server.url, url, {"If-None-Match": etag, "Accept-Encoding": "gzip"})[0].status_code == 304


def test_seated_body_is_exactly_what_the_response_model_renders(api, factory, database):
    show = factory.seated_show(rows=3, per_row=5, tier_of_row={1: 1, 2: 2}, prices={1: 10000, 2: 4950, 3: 2500})
    user = factory.user()
    assert api.post("/api/bookings", headers=user.auth, json=_seats(show.id, show.seat_ids[:2])).status_code == 201
    assert api.post("/api/holds", headers=user.auth, json=_seats(show.id, show.seat_ids[5:7])).status_code == 201

    response = api.get(f"/api/event-dates/{show.id}/availability")
    expected = _expected_availability(database, show.id)

    assert response.headers["content-type"] == "application/json"
    assert json.dumps(response.json()) == json.dumps(expected)  # same keys, same order, same values
    assert {s["status"] for sec in expected["sections"] for r in sec["rows"] for s in r["seats"]} == {
        "sold", "held", "available"}
    assert any(s["price"] == 49.5 for sec in expected["sections"] for r in sec["rows"] for s in r["seats"])


def test_ga_body_is_exactly_what_the_response_model_renders(api, factory, database):
    show = factory.ga_show({1: (50, 10000), 2: (200, 5050), 3: (500, 1000)})
    user = factory.user()
    assert api.post("/api/bookings", headers=user.auth, json=_tiers(show.id, {2: 3})).status_code == 201

    response = api.get(f"/api/event-dates/{show.id}/availability")

    assert json.dumps(response.json()) == json.dumps(_expected_availability(database, show.id))


def test_events_body_is_exactly_what_the_response_model_renders(api, factory, database):
    factory.ga_show({1: (5, 4950)})
    factory.seated_show(rows=1, per_row=2)

    async def work(db):
        return EVENTS.dump_python(EVENTS.validate_python(await service.list_events(db, transaction_timeout_s=10)),
                                  mode="json", by_alias=True)

    expected = _in_process(database, work)
    events = events_until(api, lambda events: events == expected)
    assert json.dumps(events) == json.dumps(expected)


def test_a_seat_whose_hold_expired_is_available_again(api, factory, database):
    show = factory.seated_show(rows=1, per_row=3)
    user = factory.user()
    seat = show.seat_ids[0]
    hold = api.post("/api/holds", headers=user.auth, json=_seats(show.id, [seat])).json()
    assert _statuses(api, show.id)[seat] == _statuses(api, show.id)[seat] == "held"  # cached now

    expire_holds(database, hold["holdId"])  # time passes: no change row is written, only the clock moves

    assert _statuses(api, show.id)[seat] == "available"


def test_ga_quantities_of_an_expired_hold_count_as_remaining_again(api, factory, database):
    show = factory.ga_show({1: (10, 10000)})
    user = factory.user()
    hold = api.post("/api/holds", headers=user.auth, json=_tiers(show.id, {1: 4})).json()
    assert _remaining(api, show.id) == _remaining(api, show.id) == {1: 6}

    expire_holds(database, hold["holdId"])

    assert _remaining(api, show.id) == {1: 10}


def test_events_list_shows_a_sale_within_its_ttl_and_is_conditional(api, factory):
    show = factory.ga_show({3: (1, 1000)})
    user = factory.user()
    before = events_until(api, lambda events: show.id in dates_of(events))
    assert dates_of(before)[show.id]["soldOut"] is False

    first = api.get("/api/events")
    assert first.headers["cache-control"] == "no-cache"
    assert api.get("/api/events", headers={"If-None-Match": first.headers["etag"]}).status_code == 304

    assert api.post("/api/bookings", headers=user.auth, json=_tiers(show.id, {3: 1})).status_code == 201
    sold_at = time.monotonic()
    after = events_until(api, lambda events: dates_of(events)[show.id]["soldOut"])
    assert dates_of(after)[show.id]["soldOut"] is True
    assert time.monotonic() - sold_at < EVENTS_TTL_S + 0.5
    assert api.get("/api/events", headers={"If-None-Match": first.headers["etag"]}).status_code == 200


def test_events_list_follows_a_seated_date_in_and_out_of_sold_out(api, factory, database):
    """Whether a seated date has a seat left is asked again when its inventory key moves: a hold, its release,
    a hold running out (no change row: the next expiry is part of the key)."""
    show = factory.seated_show(rows=1, per_row=2)
    user = factory.user()
    seats = {"eventDateId": show.id, "customerName": "A", "paymentSource": "card",
             "seats": [{"seatId": s} for s in show.seat_ids]}
    assert not dates_of(events_until(api, lambda events: show.id in dates_of(events)))[show.id]["soldOut"]

    hold = api.post("/api/holds", headers=user.auth, json=seats).json()
    events_until(api, lambda events: dates_of(events)[show.id]["soldOut"])
    assert api.delete(f"/api/holds/{hold['holdId']}", headers=user.auth).status_code == 204
    events_until(api, lambda events: not dates_of(events)[show.id]["soldOut"])

    hold = api.post("/api/holds", headers=user.auth, json=seats).json()
    events_until(api, lambda events: dates_of(events)[show.id]["soldOut"])
    expire_holds(database, hold["holdId"])
    after = events_until(api, lambda events: not dates_of(events)[show.id]["soldOut"])
    assert dates_of(after)[show.id]["soldOut"] is False


def test_a_sold_out_answer_is_reused_only_once_its_version_is_settled(factory, database):
    """A sold-out show is not probed seat by seat on every render of the list, but an answer taken while a
    change below its version could still commit is asked again."""
    show = factory.seated_show(rows=1, per_row=2)
    user = factory.user()
    timeout = Settings().db_transaction_timeout_s

    def sell_out_with_version_written_at(created_at) -> None:
        with database.engine.begin() as conn:
            conn.execute(sa.delete(t.ticket).where(t.ticket.c.event_date_id == show.id))
            for seat_id in show.seat_ids:
                order_id = conn.execute(sa.insert(t.order).values(
                    user_id=user.id, event_date_id=show.id, customer_name="A", total_tickets=1, amount_cents=10000,
                    payment_source="card", created_at=utcnow())).inserted_primary_key[0]
                conn.execute(sa.insert(t.ticket).values(
                    order_id=order_id, user_id=user.id, event_id=show.event_id, event_date_id=show.id,
                    ticket_type_id=1, seat_id=seat_id, price_cents=10000, to_name="A", created_at=utcnow()))
            conn.execute(sa.insert(t.availability_change).values(
                event_date_id=show.id, kind="sold", created_at=created_at))

    def free_a_seat_without_a_change_row() -> None:  # what a change committing below the version looks like
        with database.engine.begin() as conn:
            conn.execute(sa.delete(t.ticket).where(t.ticket.c.seat_id == show.seat_ids[0]))

    async def sold_out(db) -> bool:
        events = await service.list_events(db, transaction_timeout_s=timeout)
        return next(d for e in events for d in e["dates"] if d["id"] == show.id)["sold_out"]

    sell_out_with_version_written_at(utcnow())  # a version that may still gain a late commit
    assert _in_process(database, sold_out)
    free_a_seat_without_a_change_row()
    assert not _in_process(database, sold_out)

    sell_out_with_version_written_at(utcnow() - timedelta(seconds=3 * timeout))  # settled
    assert _in_process(database, sold_out)
    free_a_seat_without_a_change_row()
    assert _in_process(database, sold_out)  # reused: nothing below a settled version can change it


def test_trimming_the_change_log_keeps_the_newest_row_of_every_date(database):
    base = 2_000_000_000 + int(time.time() * 1000) % 100_000_000  # dates of this test only (no foreign key)
    old, new = utcnow() - timedelta(hours=2), utcnow()
    rows = [(base, old), (base, old), (base, old), (base + 1, old), (base + 2, old), (base + 2, new)]
    change = t.availability_change
    with database.engine.begin() as conn:
        ids = [conn.execute(sa.insert(change).values(event_date_id=d, kind="sold", created_at=at))
               .inserted_primary_key[0] for d, at in rows]

    async def trim(db):
        async with db.transaction() as conn:
            await forget_old_changes(conn, now=utcnow())

    _in_process(database, trim)

    with database.engine.connect() as conn:
        kept = conn.execute(sa.select(change.c.id).where(change.c.event_date_id.between(base, base + 2))
                            .order_by(change.c.id)).scalars().all()
    assert kept == [ids[2], ids[3], ids[5]]  # the newest of each date, even when it is old


def test_a_version_is_reused_without_limit_only_once_late_commits_are_impossible(factory, database):
    show = factory.ga_show({1: (10, 10000)})
    change = t.availability_change
    timeout = Settings().db_transaction_timeout_s

    def body_after_change(created_at) -> Rendered:
        with database.engine.begin() as conn:
            conn.execute(sa.insert(change).values(event_date_id=show.id, kind="sold", created_at=created_at))
        return _in_process(database, lambda db: service.availability_body(
            db, RenderCache(max_entries=2, max_bytes=1 << 20), show.id, transaction_timeout_s=timeout))

    recent = body_after_change(utcnow())  # a lower id may still commit: reused for a second at most
    assert recent.valid_until is not None and recent.valid_until - time.monotonic() <= 1.0
    settled = body_after_change(utcnow() - timedelta(seconds=2 * timeout + 1))
    assert settled.valid_until is None


def test_concurrent_requests_for_one_version_wait_for_one_render():
    cache = RenderCache(max_entries=2, max_bytes=1 << 20)

    async def main():
        async def render() -> Rendered:
            await asyncio.sleep(0.05)
            return await build(b"{}", etag_prefix="x", valid_until=None)

        results = await asyncio.gather(*(cache.get(("k", 1), render) for _ in range(20)))
        await cache.get(("k", 1), render)
        return results

    results = asyncio.run(main())
    assert cache.renders == 1 and len({id(r) for r in results}) == 1


def test_the_cache_keeps_a_few_entries_only():
    cache = RenderCache(max_entries=3, max_bytes=1000)

    async def main():
        for i in range(10):
            await cache.get(i, lambda: build(b"x" * 100, etag_prefix="x", valid_until=None))
        for i in range(10):  # 400 bytes each, uncompressed: two fit
            await cache.get(("big", i), lambda: build(b"y" * 400, etag_prefix="y", valid_until=None))

    asyncio.run(main())
    assert list(cache._entries) == [("big", 8), ("big", 9)]


def test_a_show_keeps_only_the_body_of_its_newest_render():
    cache = RenderCache(max_entries=8, max_bytes=1 << 20)

    async def main():
        for show, version in ((1, 1), (2, 1), (1, 2), (1, 3), (2, 2)):
            await cache.get((show, version), lambda: build(b"{}", etag_prefix="x", valid_until=None), group=show)
        await cache.get("list", lambda: build(b"[]", etag_prefix="y", valid_until=None))
        kept = list(cache._entries)
        for i in range(8):  # the shows' bodies age out of the LRU: their groups go with them
            await cache.get(("other", i), lambda: build(b"{}", etag_prefix="z", valid_until=None))
        return kept

    assert asyncio.run(main()) == [(1, 3), (2, 2), "list"]
    assert cache._key_of == {} and cache._group_of == {}


def test_a_body_with_a_time_limit_is_rendered_again_ahead_but_never_served_past_it():
    cache = RenderCache(max_entries=2, max_bytes=1 << 20)
    lifetime = 1.0

    async def main():
        count = 0

        async def render() -> Rendered:
            nonlocal count
            count += 1
            started = time.monotonic()
            await asyncio.sleep(0.05)
            return await build(str(count).encode(), etag_prefix="x", valid_until=started + lifetime, started=started)

        first = await cache.get("k", render)
        await asyncio.sleep(0.65)  # ageing, still valid: served at once, its successor renders
        ageing = await cache.get("k", render)
        await asyncio.sleep(0.15)  # the first is still valid, but its successor is there
        successor = await cache.get("k", render)
        await asyncio.sleep(lifetime + 0.1)  # nobody asked: expired, so the next request waits for a render
        waited = await cache.get("k", render)
        return first, ageing, successor, waited, time.monotonic()

    first, ageing, successor, waited, now = asyncio.run(main())
    assert (first.body, ageing.body, successor.body, waited.body) == (b"1", b"1", b"2", b"3")
    assert waited.valid_until > now
