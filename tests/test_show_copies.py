"""booking/show_copies.py ShowCopies: per-process copies of a show's terms and seat map. No booking waits for a reload
of an expired copy, and however many arrive together, one load per show runs at a time."""

import asyncio
from types import SimpleNamespace

from ticketbooth.booking.show_copies import ShowCopies

_DB = SimpleNamespace(cache_key="postgresql://copies-test")


def test_buyers_arriving_together_share_one_load_and_an_expired_copy_is_served_while_it_reloads():
    async def main():
        loads: list[int] = []
        reload_may_finish = asyncio.Event()

        async def load(_db, event_date_id):
            loads.append(event_date_id)
            if len(loads) > 1:
                await reload_may_finish.wait()
            return f"terms v{len(loads)}"

        copies = ShowCopies(load, ttl_s=0.0, max_shows=4)  # every copy expires at once
        first = await asyncio.gather(*(copies.get(_DB, 7) for _ in range(5)))
        assert first == ["terms v1"] * 5 and loads == [7]

        # Expired: served from the old copy without waiting, while one reload runs.
        again = await asyncio.wait_for(asyncio.gather(*(copies.get(_DB, 7) for _ in range(5))), timeout=1)
        assert again == ["terms v1"] * 5 and loads == [7, 7]

        reload_may_finish.set()
        for _ in range(3):
            await asyncio.sleep(0)
        assert await copies.get(_DB, 7) == "terms v2"

    asyncio.run(main())


def test_an_unknown_show_is_not_remembered_and_a_failed_reload_keeps_the_previous_copy():
    async def main():
        answers = iter([None, "terms", RuntimeError("database away"), "terms again"])

        async def load(_db, _event_date_id):
            answer = next(answers)
            if isinstance(answer, Exception):
                raise answer
            return answer

        copies = ShowCopies(load, ttl_s=0.0, max_shows=4)
        assert await copies.get(_DB, 9) is None
        assert await copies.get(_DB, 9) == "terms"
        assert await copies.get(_DB, 9) == "terms"  # its reload fails in the background
        for _ in range(3):
            await asyncio.sleep(0)
        assert await copies.get(_DB, 9) == "terms"  # still the previous copy; this call reloads again
        for _ in range(3):
            await asyncio.sleep(0)
        assert await copies.get(_DB, 9) == "terms again"

    asyncio.run(main())


def test_only_the_most_recent_shows_are_kept():
    async def main():
        async def load(_db, event_date_id):
            return f"show {event_date_id}"

        copies = ShowCopies(load, ttl_s=60.0, max_shows=2)
        for show in (1, 2, 3):
            await copies.get(_DB, show)
        assert list(copies._copies) == [(_DB.cache_key, 2), (_DB.cache_key, 3)]

    asyncio.run(main())
